/**
 * @module host/orchestrator/store/volume-set
 * The daemon's block volumes (volumes.ts) as one set: made by `create` and removed only by
 * `destroy`, which refuses while a unikernel binds one; destroying a unikernel never touches its
 * volumes, so a destroy and a create with a new image keep the data. A volume's row and file are
 * made in one transaction (state-db.ts); on start (`reconcile`), files in the daemon's volume
 * directories that no volume (nor any stored unikernel) owns are removed — only a create that
 * was never acknowledged or a destroy that was committed leaves one — and volumes whose file has
 * gone are reported, never made again empty. The administrator's host files are never touched.
 *
 * `resolve` turns a create's typed block binding to a volume (`volume:FULL`) into one to the
 * volume's file, the only form the tender opens.
 */

import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { TsukiError } from "../../common/errors.ts";
import { formatSize } from "../../common/size.ts";
import type { Binding } from "../../spec/bindings.ts";
import { formatDeviceUri } from "../../spec/device-uri.ts";
import { DaemonError } from "../api/errors.ts";
import type { EventLog } from "./event-log.ts";
import type { StateDb } from "./state-db.ts";
import { VOLUMES_DIR, type VolumeInfo, type VolumeRecord, bindingFile, blockBinding, checkVolumeName, checkVolumeSize, volumeFile, volumeMb } from "./volumes.ts";

/** What a volume set reads of the unikernels: their full names and bindings. */
export interface Binder {
  readonly name: string;
  readonly devices: readonly string[];
}

export class VolumeSet {
  #volumes = new Map<string, VolumeRecord>();
  #stateDir: string;
  #db: StateDb;
  #log: EventLog;
  #binders: () => Iterable<Binder>;

  constructor(stateDir: string, db: StateDb, log: EventLog, binders: () => Iterable<Binder>) {
    this.#stateDir = stateDir;
    this.#db = db;
    this.#log = log;
    this.#binders = binders;
    for (const volume of db.volumes()) this.#volumes.set(volume.name, volume);
  }

  /** Every block volume, by name. */
  records(): VolumeRecord[] {
    return [...this.#volumes.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The files of the volumes under a tenant's path: the only block files it may bind. */
  filesUnder(tenantPath: string): Set<string> {
    return new Set([...this.#volumes.values()].filter((v) => v.name.startsWith(`${tenantPath}/`)).map((v) => v.file));
  }

  /** The volume whose file this is, if any. */
  ofFile(file: string): string | undefined {
    for (const volume of this.#volumes.values()) if (volume.file === file) return volume.name;
    return undefined;
  }

  get(name: string): VolumeRecord {
    const volume = this.#volumes.get(checkVolumeName(name));
    if (volume === undefined) throw new DaemonError("NOT_FOUND", `no block volume named "${name}" on this host: "tsuki block list" shows them`);
    return volume;
  }

  /** A volume with the unikernels that bind it (full names) and whether its file is there. */
  info(volume: VolumeRecord): VolumeInfo {
    return {
      name: volume.name,
      size: volume.size,
      sizeMb: volumeMb(volume),
      file: volume.file,
      tenant: volume.tenant ?? null,
      created: new Date(volume.created).toISOString(),
      boundBy: this.#boundBy(volume),
      missing: !existsSync(volume.file),
    };
  }

  /**
   * A block binding to `volume:FULL[?sector=N]` as one to the volume's file (`file:FILE[?sector=N]`);
   * a block file of the administrator's must be named absolutely (the daemon's working directory
   * is nobody's business); other bindings as they are (checked against the image next). `nameOf`
   * writes a volume's name as the caller would.
   */
  resolve(binding: Binding, nameOf: (volume: string) => string): Binding {
    const block = blockBinding(`${binding.name}=${binding.uri}`);
    if (block === undefined) return binding;
    const { name: device, device: ref } = block;
    if (ref.scheme === "file") {
      if (!path.isAbsolute(ref.path)) throw new TsukiError("DEV_MALFORMED", `${binding.origin ?? "--dev"} "${device}=${binding.uri.slice(0, 200)}": the daemon needs an absolute path for a block file (the tsuki client makes relative paths absolute)`);
      return binding;
    }
    const shown = nameOf(ref.volume);
    const volume = this.#volumes.get(ref.volume);
    if (volume === undefined) {
      throw new DaemonError("BLOCK_NOT_FOUND", `device "${device}": no block volume named "${shown}": create it first with "tsuki block create ${shown} --size ${ref.size === undefined ? "64M" : formatSize(ref.size)}", then create the unikernel again (a volume outlives the unikernels that bind it)`);
    }
    if (!existsSync(volume.file)) {
      throw new DaemonError("BLOCK_NOT_FOUND", `device "${device}": the file of block volume "${shown}" is missing (removed behind tsukid's back; its data is gone): destroy the volume (tsuki block destroy ${shown}) and create it again`);
    }
    if (ref.size !== undefined && ref.size !== volume.size) {
      throw new DaemonError("REQUEST_VALUE", `device "${device}": block volume "${shown}" is ${volumeMb(volume)}M (${volume.size} bytes), not size=${formatSize(ref.size)}: drop ?size= (a volume's size is set by tsuki block create), or bind another volume`);
    }
    const { sector } = ref;
    return { ...binding, uri: formatDeviceUri({ kind: "block", scheme: "file", path: volume.file, ...(sector === undefined ? {} : { sector }) }) };
  }

  /**
   * Makes a block volume: `admit`, when given (a tenant's), may refuse it by throwing, run
   * synchronously with the claim of the name against every volume on the host. The row and the
   * file are made in one transaction (state-db.ts), acknowledged once both are on disk.
   */
  create(name: string, sizeMb: number, admit: ((sizeMb: number, volumes: readonly VolumeRecord[]) => void) | undefined, tenant: string | undefined, shown: string): VolumeRecord {
    checkVolumeName(name);
    checkVolumeSize(sizeMb);
    if (this.#volumes.has(name)) throw new DaemonError("NAME_TAKEN", `a block volume named "${shown}" already exists: "tsuki block info" shows it; destroy it first, or choose another name`);
    admit?.(sizeMb, [...this.#volumes.values()]);
    const volume: VolumeRecord = { name, file: volumeFile(this.#stateDir, name), size: sizeMb * 2 ** 20, created: Date.now(), tenant };
    let made = false;
    let inserted: boolean;
    try {
      inserted = this.#db.insertVolume(volume, () => {
        makeVolumeFile(volume);
        made = true;
      });
    } catch (error) {
      // Not committed (say the commit itself failed): the file goes too.
      if (made) rmSync(volume.file, { force: true });
      throw error;
    }
    if (!inserted) throw new DaemonError("NAME_TAKEN", `a block volume named "${name}" already exists`);
    this.#volumes.set(name, volume);
    this.#log.emit("block-created", { name, size: volume.size, file: volume.file, ...(volume.tenant === undefined ? {} : { tenant: volume.tenant }) });
    return volume;
  }

  /** Forgets a volume and removes its file; refused while a unikernel binds it. `shown` writes a name as the caller would. */
  destroy(name: string, shown: (name: string) => string): VolumeRecord {
    const volume = this.get(name);
    const bound = this.#boundBy(volume);
    if (bound.length > 0) {
      const names = bound.map((u) => `"${shown(u)}"`).join(", ");
      throw new DaemonError("BLOCK_IN_USE", `block volume "${shown(name)}" is bound by the unikernel${bound.length > 1 ? "s" : ""} ${names}: destroy ${bound.length > 1 ? "them" : "it"} first (tsuki destroy), then the volume`);
    }
    // The row first: a kill -9 from here on leaves a file without a row, which the next start removes.
    this.#db.removeVolume(volume.name);
    this.#volumes.delete(volume.name);
    failpoint("block-destroy:row-removed");
    rmSync(volume.file, { force: true });
    this.#log.emit("block-destroyed", { name: volume.name, file: volume.file });
    return volume;
  }

  /** The unikernels (full names) whose bindings name the volume's file. */
  #boundBy(volume: VolumeRecord): string[] {
    return [...this.#binders()].filter((u) => u.devices.some((b) => bindingFile(b) === volume.file)).map((u) => u.name).sort();
  }

  /**
   * On start: removes the files in the daemon's volume directories (STATE/volumes, and
   * STATE/tenants where schema 2 kept them) that no volume owns and no stored unikernel binds,
   * and reports volumes whose file is missing. Files that a volume owns are never removed.
   */
  reconcile(stored: readonly Binder[]): void {
    const owned = new Set([...this.#volumes.values()].map((v) => v.file));
    for (const spec of stored) for (const b of spec.devices) owned.add(bindingFile(b) ?? "");
    const removed: string[] = [];
    for (const dir of [VOLUMES_DIR, "tenants"]) {
      const root = path.join(this.#stateDir, dir);
      let entries: string[];
      try {
        entries = readdirSync(root, { recursive: true, encoding: "utf8" });
      } catch {
        continue;
      }
      for (const entry of entries) {
        const file = path.join(root, entry);
        try {
          if (owned.has(file) || !statSync(file).isFile()) continue;
        } catch {
          continue;
        }
        rmSync(file, { force: true });
        removed.push(file);
      }
    }
    if (removed.length > 0) this.#log.emit("block-files-removed", { files: removed, reason: "no block volume owns them: left by a create that was not acknowledged, or a destroy that was" });
    const missing = [...this.#volumes.values()].filter((v) => !existsSync(v.file));
    if (missing.length > 0) this.#log.emit("block-files-missing", { volumes: missing.map((v) => ({ name: v.name, file: v.file })), reason: "their files are gone; unikernels that bind them fail to boot: destroy the volume and create it again" });
  }
}

/** Makes a volume's file, all zeros (sparse), and syncs it and its directory; on failure, none is left. */
function makeVolumeFile(volume: VolumeRecord): void {
  let fd: number;
  try {
    fd = openSync(volume.file, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new DaemonError("STATE_DIR", `${volume.file} is in the way of block volume "${volume.name}" and no volume owns it: remove it (tsukid removes such files when it starts)`);
    throw error;
  }
  try {
    ftruncateSync(fd, volume.size);
    fsyncSync(fd);
    closeSync(fd);
    syncDir(path.dirname(volume.file));
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(volume.file, { force: true });
    throw new DaemonError("STATE_DIR", `cannot make the file of block volume "${volume.name}" (${volume.file}): ${(error as Error).message}; free space in the state directory and try again`);
  }
  failpoint("block-create:file-made");
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * For the crash tests only: with TSUKID_FAILPOINT set to `name`, the daemon kills itself with
 * SIGKILL there, as a `kill -9` at that instant would.
 */
function failpoint(name: string): void {
  if (process.env.TSUKID_FAILPOINT === name) process.kill(process.pid, "SIGKILL");
}
