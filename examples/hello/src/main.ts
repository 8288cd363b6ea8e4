// The smallest unikernel: prints, waits on a timer, and exits 0 once nothing is left to do.
import { unikernel } from "tsuki";

export default unikernel({
  async start({ console, name }) {
    console.log(`hello from ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    console.log("goodbye after 100 ms");
  },
});
