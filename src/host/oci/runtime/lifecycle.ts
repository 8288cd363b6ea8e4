/**
 * @module host/oci/runtime/lifecycle
 * The OCI lifecycle of a tsuki container, as runc has it: `create` checks the bundle and the
 * image, records the container and spawns its init process (which loads the image and then
 * waits on exec.fifo), `start` releases it, `kill` signals it (its process group with --all),
 * `delete` removes the record (killing a running init only with --force). Each refusal is a
 * TsukiError whose code the runtime's log carries.
 */

import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, openSync, readSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { constants as os } from "node:os";
import path from "node:path";
import { TsukiError } from "../../common/errors.ts";
import { checkBindings } from "../../spec/bindings.ts";
import { loadImage } from "../../image/image.ts";
import type { Bundle } from "./bundle.ts";
import { type ContainerRecord, type ContainerStore, procStat } from "./state.ts";

export interface CreateOptions {
  readonly pidFile?: string;
  /** The command (argv) that runs `init ID` for this store: the runtime's own binary on its own Node. */
  readonly initCommand: readonly string[];
}

/** Checks a bundle that holds a tsuki image: the image loads and the annotations bind what it declares. */
export function checkBundle(bundle: Bundle): void {
  if (bundle.image === undefined) throw new TsukiError("RUNTIME_BUNDLE", `the root file system ${bundle.rootfs} holds no tsuki image`);
  const image = loadImage(bundle.image);
  checkBindings(image.manifest, bundle.bindings);
}

export async function createContainer(store: ContainerStore, id: string, bundle: Bundle, options: CreateOptions): Promise<ContainerRecord> {
  checkBundle(bundle);
  store.reserve(id);
  try {
    execFileSync("mkfifo", ["-m", "0600", store.fifo(id)]);
    const base = { id, bundle: bundle.dir, rootfs: bundle.rootfs, created: new Date().toISOString(), annotations: bundle.annotations };
    store.save({ ...base, pid: 0, startTime: "" });
    const [command, ...args] = options.initCommand;
    // Its own session and process group: kill --all signals the group, and no terminal's signals reach it.
    // stdio is the caller's: the shim's pipes, so the unikernel's console is the container's log.
    const child = spawn(command!, [...args, "init", id], { stdio: "inherit", detached: true });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("spawn", () => resolve(child.pid!));
      child.once("error", reject);
    });
    child.unref();
    const record = { ...base, pid, startTime: procStat(pid)?.startTime ?? "" };
    store.save(record);
    if (options.pidFile !== undefined) writePidFile(options.pidFile, pid);
    return record;
  } catch (error) {
    store.remove(id);
    throw error;
  }
}

/** Written whole or not at all (a temporary file renamed), as runc does: the shim reads it right after create. */
function writePidFile(file: string, pid: number): void {
  const abs = path.resolve(file);
  const temp = path.join(path.dirname(abs), `.${path.basename(abs)}.tmp`);
  writeFileSync(temp, String(pid));
  renameSync(temp, abs);
}

/** Releases a created container's init: opens exec.fifo, reads the byte the init writes, removes the fifo. */
export async function startContainer(store: ContainerStore, id: string, timeoutMs = 60_000): Promise<void> {
  const record = store.load(id);
  const status = store.status(record);
  if (status !== "created") throw new TsukiError("RUNTIME_STATE", `cannot start container ${id}: it is ${status}, not created`);
  const fifo = store.fifo(id);
  // Non-blocking, so a dead init does not hang start: poll until the init has written its byte.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const byte = Buffer.alloc(1);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, byte, 0, 1, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      }
      if (n === 1) break;
      if (store.status(record) === "stopped") throw new TsukiError("RUNTIME_STATE", `cannot start container ${id}: its init process ${record.pid} ended before start (see the container's output)`);
      if (Date.now() > deadline) throw new TsukiError("RUNTIME_STATE", `cannot start container ${id}: its init process ${record.pid} did not take the start within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(fifo);
}

/** The init side of exec.fifo: blocks until `start` opens it, then tells it so. */
export function awaitStart(store: ContainerStore, id: string): void {
  const fd = openSync(store.fifo(id), "w");
  try {
    writeFileSync(fd, "0");
  } finally {
    closeSync(fd);
  }
}

/** A signal as runc takes it: a number, or a name with or without SIG. */
export function parseSignal(text: string): number {
  const signals = os.signals as Record<string, number>;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (Object.values(signals).includes(n)) return n;
  } else {
    const name = text.toUpperCase().startsWith("SIG") ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
    if (signals[name] !== undefined) return signals[name];
  }
  throw new TsukiError("FLAG_VALUE", `${JSON.stringify(text)} is not a signal: give a number (15) or a name (TERM, SIGKILL)`);
}

export function killContainer(store: ContainerStore, id: string, signal: number, all: boolean): void {
  const record = store.load(id);
  const status = store.status(record);
  if (status === "stopped" || status === "creating") {
    if (all) return;
    throw new TsukiError("RUNTIME_STATE", `cannot kill container ${id}: it is ${status}`);
  }
  try {
    process.kill(all ? -record.pid : record.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

export async function deleteContainer(store: ContainerStore, id: string, force: boolean): Promise<void> {
  // As runc's: --force of a container that is gone (or was never fully made) succeeds, so that the
  // shim's cleanup after `ctr run --rm` has deleted it is no error.
  if (force && !store.has(id)) return store.remove(id);
  const record = store.load(id);
  const status = store.status(record);
  if (status === "running" && !force) throw new TsukiError("RUNTIME_STATE", `cannot delete container ${id}: it is running (stop it with kill, or delete --force)`);
  if (status === "running" || status === "created") {
    // A created container has not run anything yet: delete ends it, as runc's does.
    try {
      process.kill(-record.pid, "SIGKILL");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
    for (let i = 0; i < 200 && store.status(record) !== "stopped"; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  store.remove(id);
}
