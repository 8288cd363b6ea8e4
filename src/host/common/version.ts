/**
 * @module host/common/version
 * The version of this tsuki, read from its package.json once.
 */

import { readFileSync } from "node:fs";

export const TSUKI_VERSION: string = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version;
