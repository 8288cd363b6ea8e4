/**
 * @module host/sandbox/cache
 * Where the sandbox keeps what it builds once per host: the seccomp shim (seal.so) and the bundled
 * child program. Files are named by the SHA-256 of their inputs, written atomically, and readable
 * by everyone: a tender running as root starts its sandboxes as an unprivileged user, and
 * bubblewrap, running as that user, must be able to bind them. `TSUKI_CACHE_DIR` moves the folder.
 */

import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export function cacheDir(): string {
  const dir = process.env.TSUKI_CACHE_DIR ?? path.join(PACKAGE_ROOT, "node_modules/.cache/tsuki");
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

export const hashOf = (...parts: (string | Uint8Array)[]): string => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex").slice(0, 16);
};

/** The path of `name` in the cache, made by `make` (which writes the file it is given) if absent. */
export function cached(name: string, make: (file: string) => void): string {
  const file = path.join(cacheDir(), name);
  if (existsSync(file)) return file;
  const temporary = `${file}.${process.pid}.tmp`;
  make(temporary);
  chmodSync(temporary, 0o644);
  renameSync(temporary, file);
  return file;
}

export function cachedText(name: string, text: string): string {
  return cached(name, (file) => writeFileSync(file, text));
}
