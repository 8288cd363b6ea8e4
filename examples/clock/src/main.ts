// Prints the wall-clock time every second until it is stopped (Ctrl-C, or SIGTERM).
import { unikernel } from "tsuki";

export default unikernel({
  start({ console, args }) {
    const every = typeof args.interval === "number" ? args.interval : 1000;
    const tick = () => console.log(new Date().toISOString());
    tick();
    setInterval(tick, every);
  },
});
