/**
 * @module guest/web/navigator
 * `navigator` (WinterTC Minimum Common API §4: `userAgent` names the runtime, `tsuki/<version>`,
 * one product token as RFC 9110 §10.1.5 builds it) and `reportError`. `hardwareConcurrency` is 1:
 * a unikernel runs on one thread whatever the host has, and the host's core count is not the
 * guest's to know (no ambient information).
 */

import { reportError } from "../common/report.ts";
import { initialised } from "../common/registry.ts";
import { toStringTag } from "../common/webidl.ts";

declare const __TSUKI_VERSION__: string | undefined;

const VERSION = typeof __TSUKI_VERSION__ === "string" ? __TSUKI_VERSION__ : "0.0.0";

/** `Navigator` is not constructible and not a global, as in Deno and Node. */
class Navigator {
  get userAgent(): string {
    return `tsuki/${VERSION}`;
  }
  get hardwareConcurrency(): number {
    return 1;
  }
}
toStringTag(Navigator, "Navigator");

export const navigator: Navigator = new Navigator();
export { reportError };

initialised("navigator");
