/**
 * Shared test helpers: build a unikernel from source text through the real build pipeline, craft
 * images by hand (for what the build refuses to make), and boot images on a tender whose console
 * lines are collected.
 */

import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ABI_VERSION, ENTRY_PATH, type ExitStatus, MANIFEST_FORMAT, type Manifest } from "../src/abi/index.ts";
import { buildImage } from "../src/host/build/build.ts";
import { type Image, readImage, sha256, writeImage } from "../src/host/image/image.ts";
import type { ConsoleLine } from "../src/host/tender/console.ts";
import { TARGETS, type TargetName } from "../src/host/tender/targets/index.ts";
import { processSandbox } from "../src/host/tender/targets/process.ts";
import { type BootOptions, Tender } from "../src/host/tender/tender.ts";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const TSUKI_BIN = path.join(ROOT, "bin/tsuki.js");

/** Why the process target cannot run here (a skip reason for its tests), or undefined when its walls can be built. */
export function processTargetUnavailable(): Promise<string | undefined> {
  return processSandbox().then(
    () => undefined,
    (error: Error) => `the process target cannot build its walls here: ${error.message}`,
  );
}

/** Stops a child process: SIGTERM, then SIGKILL if it is still there after 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

/** A fresh temporary folder, removed when the test process exits. */
const made: string[] = [];
process.on("exit", () => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
export function tempDir(prefix = "tsuki-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes files (path → text) into a new unikernel folder and returns it. */
export function unikernelDir(files: Record<string, string | Uint8Array>, name = "t"): string {
  const dir = path.join(tempDir(), name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Builds `source` (the body of src/main.ts) through the real build and returns the image. */
export async function buildSource(source: string, extra: Record<string, string | Uint8Array> = {}): Promise<Image> {
  const dir = unikernelDir({ "src/main.ts": source, ...extra });
  // These images test what runs; the type check has tests of its own (test/host/build/type-check.test.ts).
  const result = await buildImage(dir, { check: false });
  return readImage(await import("node:fs").then((fs) => fs.readFileSync(result.image)));
}

/** An image made by hand around `code`, for guests the build would refuse. */
export function craftImage(code: string, overrides: Partial<Manifest> = {}): Uint8Array {
  const entry = Buffer.from(code);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: "crafted",
    version: "0.0.0",
    abi: ABI_VERSION,
    entry: { path: ENTRY_PATH, size: entry.length, sha256: sha256(entry) },
    devices: {},
    assets: [],
    inputs: {},
    builder: { test: "1" },
    ...overrides,
  };
  return writeImage(manifest, entry, []);
}

export interface Booted {
  status: ExitStatus;
  lines: ConsoleLine[];
  out: string[];
  err: string[];
}

/** A tender on `target` whose console lines are collected. */
export function testTender(target: TargetName) {
  const lines: ConsoleLine[] = [];
  const tender = new Tender({ target: TARGETS[target], console: { line: (l) => void lines.push(l) } });
  return { tender, lines };
}

/** Boots `image` on `target`, waits for it to end, and returns how it ended and what it printed. */
export async function bootToEnd(target: TargetName, image: Image, options: BootOptions = {}): Promise<Booted> {
  const { tender, lines } = testTender(target);
  const unikernel = await tender.boot(image, options);
  const status = await unikernel.exited;
  return {
    status,
    lines,
    out: lines.filter((l) => l.stream === 1).map((l) => l.text),
    err: lines.filter((l) => l.stream === 2).map((l) => l.text),
  };
}

/** Whether a command is on PATH (or in /usr/sbin, where Debian puts daemons): tests that need it skip with a reason when not. */
export function hasTool(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
}
