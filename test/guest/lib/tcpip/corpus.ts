/**
 * The corpus of real frames under `frames/` (captured from Linux by `frames/capture.py`), by name:
 * `linux-*` were sent by the Linux kernel, `guest-*` were written by the capture script playing
 * the guest at 10.9.0.2 / 02:00:00:00:00:02 and answered by Linux.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hex } from "./link.ts";

const DIR = join(import.meta.dirname, "frames");

export const GUEST_MAC = new Uint8Array([2, 0, 0, 0, 0, 2]);
export const GUEST_IP = "10.9.0.2";
export const LINUX_IP = "10.9.0.1";

let cache: Map<string, Uint8Array> | undefined;

/** Every frame of the corpus, by file name without `.hex`. */
export function corpus(): Map<string, Uint8Array> {
  if (cache === undefined) {
    cache = new Map();
    for (const file of readdirSync(DIR).sort()) if (file.endsWith(".hex")) cache.set(file.slice(0, -4), hex(readFileSync(join(DIR, file), "utf8")));
  }
  return cache;
}

/** One frame of the corpus (a fresh copy). */
export function frame(name: string): Uint8Array {
  const bytes = corpus().get(name);
  if (bytes === undefined) throw new Error(`no frame ${name} in the corpus`);
  return bytes.slice();
}

/** The MAC Linux had in the capture (the source of any linux-* frame). */
export function linuxMac(): Uint8Array {
  return frame("linux-udp").slice(6, 12);
}
