/**
 * Imported first (for its effect) by tests that run code written against a unikernel's globals in
 * Node's process: tsuki's web globals replace Node's from then on.
 */

import { installWebGlobals } from "./groups.ts";

installWebGlobals();
