/**
 * @module cli/support/key-file
 * An Ed25519 key in PEM, as tsuki sign, verify and daemon --trusted-key read it: apart from the
 * image files so that tsuki daemon loads none of the build.
 */

import { readFileSync } from "node:fs";
import { TsukiError } from "../../host/common/index.ts";

export function readKeyFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new TsukiError("FLAG_VALUE", `cannot read the key ${file}: ${(error as Error).message}`);
  }
}
