/**
 * @module host/oci/runtime/state
 * What tsuki-runtime keeps of a container under `--root` (ROOT/ID/tsuki.json, beside nothing of
 * runc's: runc keeps ROOT/ID/state.json, so each runtime knows its own), and the container's
 * status as the OCI runtime spec defines it, read from the live process rather than stored:
 * `created` while the init process waits on ROOT/ID/exec.fifo, `running` once `start` has opened
 * it, `stopped` when the init process is gone (or a zombie, or another process has its pid).
 */

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TsukiError } from "../../common/errors.ts";

export type Status = "creating" | "created" | "running" | "stopped";

export interface ContainerRecord {
  readonly id: string;
  readonly bundle: string;
  readonly rootfs: string;
  /** The init process; 0 until create has spawned it. */
  readonly pid: number;
  /** The init process's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for it. */
  readonly startTime: string;
  /** RFC 3339. */
  readonly created: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** runc's rule for container ids. */
const ID = /^[\w+.-]+$/;
export const DEFAULT_ROOT = "/run/tsuki-runtime";
const RECORD = "tsuki.json";
export const FIFO = "exec.fifo";

export class ContainerStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  dir(id: string): string {
    if (!ID.test(id) || id === "." || id === "..") throw new TsukiError("RUNTIME_CONTAINER", `${JSON.stringify(id)} is not a container id: letters, digits and _+-. only`);
    return path.join(this.root, id);
  }

  /** Whether tsuki-runtime holds a container of this id (else it may be runc's, or none). */
  has(id: string): boolean {
    return existsSync(path.join(this.dir(id), RECORD));
  }

  /** Makes ROOT/ID, refusing an id that is taken (by tsuki-runtime or runc). */
  reserve(id: string): string {
    const dir = this.dir(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new TsukiError("RUNTIME_CONTAINER", `container ${id} exists under ${this.root}: delete it first`);
      throw error;
    }
    return dir;
  }

  save(record: ContainerRecord): void {
    writeFileSync(path.join(this.dir(record.id), RECORD), `${JSON.stringify(record)}\n`);
  }

  load(id: string): ContainerRecord {
    const file = path.join(this.dir(id), RECORD);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new TsukiError("RUNTIME_CONTAINER", `container ${id} does not exist under ${this.root}: create it first`);
    }
    return JSON.parse(text) as ContainerRecord;
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  fifo(id: string): string {
    return path.join(this.dir(id), FIFO);
  }

  status(record: ContainerRecord): Status {
    if (record.pid === 0) return "creating";
    if (!alive(record.pid, record.startTime)) return "stopped";
    return existsSync(this.fifo(record.id)) ? "created" : "running";
  }
}

/** Of /proc/PID/stat: the state letter, the process group and field 22 (start time in clock ticks); undefined when there is no such process. */
export function procStat(pid: number): { state: string; group: number; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", group: Number(fields[2]), startTime: fields[19] ?? "" };
}

function alive(pid: number, startTime: string): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X" && stat.startTime === startTime;
}

/** The OCI state of a container (runtime-spec "State"), as `state` prints it. */
export function ociState(store: ContainerStore, record: ContainerRecord): Record<string, unknown> {
  const status = store.status(record);
  return {
    ociVersion: "1.0.2",
    id: record.id,
    pid: status === "stopped" ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: "",
    annotations: record.annotations,
  };
}

/** The container's processes, as `ps` lists them: the init and every live process of its process group (the process target's sandbox among them). */
export function containerPids(store: ContainerStore, record: ContainerRecord): number[] {
  const status = store.status(record);
  if (status === "stopped" || status === "creating") return [];
  const pids = [record.pid];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === record.pid) continue;
    const stat = procStat(pid);
    if (stat !== undefined && stat.group === record.pid && stat.state !== "Z") pids.push(pid);
  }
  return pids.sort((a, b) => a - b);
}
