/**
 * @module host/orchestrator/store/volumes
 * Block volumes, resources of their own as in Albatross: made (`tsuki block create NAME --size
 * 64M`), listed and destroyed apart from the unikernels that bind them, so that destroying a
 * unikernel (the only way to change its image) never takes its data with it. A volume's size
 * counts against its tenant's storage budget and each ancestor's from its create to its destroy;
 * a volume a unikernel binds cannot be destroyed (ERR_BLOCK_IN_USE).
 *
 * Names are hierarchical like unikernels': `acme/web/data` is the volume `data` of tenant
 * `acme/web`. Each is one file in `STATE/volumes/`, named by its full name with `/` written `+`
 * (`acme+web+data`; `+` is in no name, so the directory is flat and no tenant's file can collide
 * with another's or with a tenant's directory). Volumes adopted from schema 2, when a tenant's
 * block files lived in `STATE/tenants/PATH/`, keep their files there: the row holds the path.
 *
 * A unikernel binds a volume as `NAME=volume:VOLUME` (tenants also write `NAME=file:VOLUME`,
 * their volume by its bare name); the daemon stores the binding as the volume's file, so the
 * tender opens it like any block file, and without `size=`, so a file that went missing is an
 * error at boot rather than a fresh empty disk.
 */

import path from "node:path";
import { type BlockBinding, parseDeviceUri, volumeNameProblem } from "../../spec/device-uri.ts";
import { parseBinding } from "../../spec/bindings.ts";
import { DaemonError } from "../api/errors.ts";

/** The largest volume, in MiB (the tender's largest block device, 2^50 bytes). */
export const MAX_VOLUME_MB = 2 ** 30;

/** The directory of the daemon's volume files, under the state directory. */
export const VOLUMES_DIR = "volumes";

/** A block volume as the daemon keeps it. */
export interface VolumeRecord {
  /** Full name: `acme/web/data`, or `data` for the administrator's. */
  readonly name: string;
  /** Its file, absolute. */
  readonly file: string;
  /** Bytes. */
  readonly size: number;
  /** When it was created, ms since the epoch. */
  readonly created: number;
  /** The tenant that created it; undefined for the administrator (or a volume adopted from schema 2 is its tenant's). */
  readonly tenant: string | undefined;
}

/** A block volume as the API answers about it: the API's type. */
export type { VolumeInfo } from "../api/info.ts";

/** What storage budgets count of a volume: whole MiB, rounded up. */
export function volumeMb(volume: Pick<VolumeRecord, "size">): number {
  return Math.ceil(volume.size / 2 ** 20);
}

/** A volume's full name: tenant segments, then its own label. */
export function checkVolumeName(name: unknown): string {
  if (typeof name !== "string" || volumeNameProblem(name) !== undefined) {
    throw new DaemonError("NAME_INVALID", `block volume name ${JSON.stringify(name)?.slice(0, 80)} is not valid: use 1–63 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. data or data.img), under a tenant's path for the administrator (acme/data)`);
  }
  return name;
}

/** Where the daemon keeps a new volume's file. */
export function volumeFile(stateDir: string, name: string): string {
  return path.join(stateDir, VOLUMES_DIR, name.replaceAll("/", "+"));
}

/** The whole MiB a create asks for, checked. */
export function checkVolumeSize(sizeMb: unknown): number {
  if (typeof sizeMb !== "number" || !Number.isInteger(sizeMb)) throw new DaemonError("REQUEST_MALFORMED", "sizeMb must be a whole number of MiB (tsuki block create NAME --size 64M)");
  if (sizeMb < 1 || sizeMb > MAX_VOLUME_MB) throw new DaemonError("REQUEST_VALUE", `sizeMb ${sizeMb} is out of range: give 1–${MAX_VOLUME_MB} MiB (e.g. --size 64M)`);
  return sizeMb;
}

/** A `NAME=URI` binding read as a block binding (`file:` or `volume:`), or undefined when it is none or not well formed. */
export function blockBinding(text: string): { name: string; device: BlockBinding } | undefined {
  try {
    const { name, uri } = parseBinding(text);
    if (!/^(?:file|volume):/.test(uri)) return undefined;
    return { name, device: parseDeviceUri("block", uri, { volumes: true }) as BlockBinding };
  } catch {
    return undefined;
  }
}

/** The file a `file:` binding names, absolute, or undefined. */
export function bindingFile(text: string): string | undefined {
  const block = blockBinding(text);
  return block?.device.scheme === "file" ? path.resolve(block.device.path) : undefined;
}
