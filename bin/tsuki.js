#!/usr/bin/env -S node --no-node-snapshot --experimental-vm-modules --disable-warning=ExperimentalWarning
// The tsuki command. The flags above are what the tender needs; bin/pinned-node.js runs it again
// on the Node that tsuki pins, with them, when this Node is not that one.

import { fileURLToPath } from "node:url";
import { launch } from "./pinned-node.js";

await launch(fileURLToPath(import.meta.url), "tsuki", () => import("../src/cli/main.ts"));
