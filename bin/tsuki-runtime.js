#!/usr/bin/env -S node --no-node-snapshot --experimental-vm-modules --disable-warning=ExperimentalWarning
// tsuki-runtime: the runc-compatible OCI runtime containerd's shim drives (src/cli/runtime).
// bin/pinned-node.js runs it again on the Node that tsuki pins, with the flags above, when this
// Node is not that one.

import { fileURLToPath } from "node:url";
import { launch } from "./pinned-node.js";

await launch(fileURLToPath(import.meta.url), "tsuki-runtime", () => import("../src/cli/runtime/main.ts"));
