// The smallest unikernel: prints, waits on a timer, and exits 0 once nothing is left to do.
// `--arg wait=MS` sets how long it waits (default 100 ms).
import { unikernel } from "tsuki";

export default unikernel({
  async start({ console, name, args }) {
    const wait = typeof args.wait === "number" ? args.wait : 100;
    console.log(`hello from ${name}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
    console.log(`goodbye after ${wait} ms`);
  },
});
