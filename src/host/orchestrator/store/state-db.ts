/**
 * @module host/orchestrator/store/state-db
 * What should be running, kept in SQLite (`node:sqlite`) in the state directory: one row per
 * unikernel with its specification. WAL journal with `synchronous=FULL`, so a change is on disk
 * when its statement returns: the daemon acknowledges a create or destroy only after that, and a
 * `kill -9` at any moment leaves either the old or the new state, never a mix.
 *
 * The database is opened in SQLite's exclusive locking mode and written at once, so the daemon
 * holds its lock for as long as it lives (the kernel drops it when the process dies, even by
 * `kill -9`): a second daemon on the same state directory fails here, before it touches anything.
 *
 * A unikernel a tenant created is stored with the tenant's path, and each level of that path
 * with the policy its certificate carried at the tenant's latest create (`tenant_policies`), in
 * the same transaction: on start the daemon admits the tenant's unikernels again against those
 * policies (control/daemon.ts). Schema 1 (before tenants were recorded) is migrated in place: its
 * unikernels have no tenant and are brought back as the administrator's.
 *
 * Block volumes (volumes.ts) are rows of their own (schema 3). A volume's row and its file are
 * made in one transaction: the row is inserted (the primary key decides between racing creates),
 * the file made and synced, and only then is the transaction committed; a destroy commits the
 * row's deletion before the file is removed. So a `kill -9` at any moment leaves at worst a file
 * without a row (from a create that was never acknowledged, or a destroy that was committed),
 * which the daemon removes when it starts, and never a row whose file it deleted. Schema 2 is
 * migrated in place, in one transaction: each block file a tenant's unikernel bound in
 * `STATE/tenants/PATH/` becomes a volume of that tenant, named as the tenant named the file, and
 * its bindings lose their `size=` (a volume's size is its own).
 *
 * Images belong to who uploaded them (schema 4, image-owners.ts): one row per image and owner
 * (a tenant path, or "" for the administrator). Migrating from an older schema, each image a
 * stored unikernel runs becomes its creator's (its size is filled in by the daemon on start).
 */

import { statSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { DaemonError } from "../api/errors.ts";
import type { UnikernelSpec } from "../api/spec.ts";
import type { ImageOwner } from "./image-owners.ts";
import { type Policy, withV1Defaults } from "../pki/policy.ts";
import { type Tenant, tenantName } from "../pki/tenant.ts";
import { type VolumeRecord, bindingFile, checkVolumeName } from "./volumes.ts";
import { parseSize } from "../../common/size.ts";

const SCHEMA_VERSION = 4;

/** What an in-place migration did, for the event log. */
export interface Migration {
  readonly from: number;
  readonly to: number;
  /** Volumes adopted from schema 2's tenant block files. */
  readonly volumes: readonly string[];
}

export interface StoredUnikernel {
  readonly spec: UnikernelSpec;
  /** When it was created, ms since the epoch. */
  readonly created: number;
  /** The path of the tenant that created it ("acme/web"); undefined for the administrator's. */
  readonly tenant: string | undefined;
}

export class StateDb {
  #db: DatabaseSync;

  /** Set when the constructor migrated the database. */
  readonly migration: Migration | undefined;

  /** `tenantsDir`: where schema 2 kept tenants' block files (STATE/tenants), to adopt them as volumes. */
  constructor(file: string, tenantsDir?: string) {
    this.#db = new DatabaseSync(file);
    try {
      this.#db.exec("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
      this.#db.exec("BEGIN IMMEDIATE; COMMIT;");
    } catch (error) {
      this.#db.close();
      if ((error as { errcode?: unknown }).errcode === 5) throw new DaemonError("DAEMON_RUNNING", `another tsukid holds ${file}: one daemon per state directory (stop the other, or give another --state)`);
      throw error;
    }
    const migration = this.transaction((): Migration | undefined => {
      this.#db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE IF NOT EXISTS unikernels (
          name TEXT PRIMARY KEY,
          image TEXT NOT NULL,
          priority INTEGER NOT NULL,
          spec TEXT NOT NULL,
          created INTEGER NOT NULL,
          tenant TEXT
        ) STRICT;
        CREATE TABLE IF NOT EXISTS tenant_policies (path TEXT PRIMARY KEY, policy TEXT NOT NULL, recorded INTEGER NOT NULL) STRICT;
        CREATE TABLE IF NOT EXISTS volumes (
          name TEXT PRIMARY KEY,
          file TEXT NOT NULL UNIQUE,
          size INTEGER NOT NULL,
          created INTEGER NOT NULL,
          tenant TEXT
        ) STRICT;
        CREATE TABLE IF NOT EXISTS image_owners (
          image TEXT NOT NULL,
          owner TEXT NOT NULL,
          size INTEGER NOT NULL,
          uploaded INTEGER NOT NULL,
          PRIMARY KEY (image, owner)
        ) STRICT;`);
      this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
      const version = (this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
      if (version === "1") this.#db.exec("ALTER TABLE unikernels ADD COLUMN tenant TEXT");
      if (version === "1" || version === "2" || version === "3") {
        const volumes = tenantsDir === undefined || version === "3" ? [] : this.#adoptTenantFiles(tenantsDir);
        // Schema 4: images belong to who uploaded them; each one stored is its users' (image-owners.ts).
        this.#db.exec("INSERT OR IGNORE INTO image_owners (image, owner, size, uploaded) SELECT image, COALESCE(tenant, ''), 0, created FROM unikernels");
        this.#db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION));
        return { from: Number(version), to: SCHEMA_VERSION, volumes };
      }
      return undefined;
    });
    this.migration = migration;
    const version = (this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
    if (version !== String(SCHEMA_VERSION)) {
      this.#db.close();
      throw new DaemonError("STATE_DIR", `${file} has schema version ${version}; this tsukid reads versions 1 to ${SCHEMA_VERSION}: run the tsuki that wrote it, or give another --state`);
    }
  }

  /** Runs `fn` in one transaction: all of it is on disk, or none. */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Adds a unikernel; false when the name is taken (the primary key decides between racing
   * creates). A tenant's is stored with its path, and each level's policy recorded, at once.
   */
  insert(spec: UnikernelSpec, created: number, tenant?: Tenant): boolean {
    return this.transaction(() => {
      const result = this.#db.prepare("INSERT OR IGNORE INTO unikernels (name, image, priority, spec, created, tenant) VALUES (?, ?, ?, ?, ?, ?)").run(spec.name, spec.image, spec.priority, JSON.stringify(spec), created, tenant === undefined ? null : tenantName(tenant));
      if (result.changes !== 1) return false;
      const record = this.#db.prepare("INSERT INTO tenant_policies (path, policy, recorded) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET policy = excluded.policy, recorded = excluded.recorded");
      tenant?.policies.forEach((policy, i) => record.run(tenantName(tenant, i + 1), JSON.stringify(policy), created));
      return true;
    });
  }

  /** The policy recorded for each tenant path (at the latest create under it). */
  tenantPolicies(): Map<string, Policy> {
    const rows = this.#db.prepare("SELECT path, policy FROM tenant_policies").all() as { path: string; policy: string }[];
    // Policies recorded before version 2 lack its fields: they read as a version 1 certificate does.
    return new Map(rows.map((row) => [row.path, withV1Defaults(JSON.parse(row.policy) as Policy)]));
  }

  remove(name: string): boolean {
    return this.#db.prepare("DELETE FROM unikernels WHERE name = ?").run(name).changes === 1;
  }

  /** Every unikernel, in start order: priority, then name. */
  all(): StoredUnikernel[] {
    const rows = this.#db.prepare("SELECT spec, created, tenant FROM unikernels ORDER BY priority, name").all() as { spec: string; created: number; tenant: string | null }[];
    return rows.map((row) => ({ spec: JSON.parse(row.spec) as UnikernelSpec, created: row.created, tenant: row.tenant ?? undefined }));
  }

  /** Whether any unikernel uses the image. */
  imageInUse(sha256: string): boolean {
    return this.#db.prepare("SELECT 1 FROM unikernels WHERE image = ? LIMIT 1").get(sha256) !== undefined;
  }

  /** Every image's owners. */
  imageOwners(): ImageOwner[] {
    return this.#db.prepare("SELECT image, owner, size, uploaded FROM image_owners ORDER BY image, owner").all() as unknown as ImageOwner[];
  }

  /** Records (or refreshes) an owner of an image. */
  putImageOwner(o: ImageOwner): void {
    this.#db.prepare("INSERT INTO image_owners (image, owner, size, uploaded) VALUES (?, ?, ?, ?) ON CONFLICT (image, owner) DO UPDATE SET size = excluded.size, uploaded = excluded.uploaded").run(o.image, o.owner, o.size, o.uploaded);
  }

  removeImageOwner(image: string, owner: string): void {
    this.#db.prepare("DELETE FROM image_owners WHERE image = ? AND owner = ?").run(image, owner);
  }

  /** Every block volume, by name. */
  volumes(): VolumeRecord[] {
    const rows = this.#db.prepare("SELECT name, file, size, created, tenant FROM volumes ORDER BY name").all() as { name: string; file: string; size: number; created: number; tenant: string | null }[];
    return rows.map((row) => ({ name: row.name, file: row.file, size: row.size, created: row.created, tenant: row.tenant ?? undefined }));
  }

  /**
   * Adds a volume and makes its file in one transaction: the row first (false when the name is
   * taken), then `makeFile`, then the commit. If `makeFile` throws, nothing is committed.
   */
  insertVolume(volume: VolumeRecord, makeFile: () => void): boolean {
    return this.transaction(() => {
      const result = this.#db.prepare("INSERT OR IGNORE INTO volumes (name, file, size, created, tenant) VALUES (?, ?, ?, ?, ?)").run(volume.name, volume.file, volume.size, volume.created, volume.tenant ?? null);
      if (result.changes !== 1) return false;
      makeFile();
      return true;
    });
  }

  removeVolume(name: string): boolean {
    return this.#db.prepare("DELETE FROM volumes WHERE name = ?").run(name).changes === 1;
  }

  close(): void {
    this.#db.close();
  }

  /**
   * Schema 2 → 3, inside the migration's transaction: every block file a tenant's unikernel binds
   * under `tenantsDir` becomes a volume (its size the file's, or the binding's when the file is
   * absent), and those bindings drop `size=`. Returns the volumes' names.
   */
  #adoptTenantFiles(tenantsDir: string): string[] {
    const root = `${path.resolve(tenantsDir)}${path.sep}`;
    const adopted = new Map<string, VolumeRecord>();
    const update = this.#db.prepare("UPDATE unikernels SET spec = ? WHERE name = ?");
    for (const { spec, created, tenant } of this.all()) {
      if (tenant === undefined) continue;
      let changed = false;
      const devices = spec.devices.map((binding) => {
        const file = bindingFile(binding);
        if (file === undefined || !file.startsWith(root)) return binding;
        let name: string;
        try {
          name = checkVolumeName(file.slice(root.length).split(path.sep).join("/"));
        } catch {
          return binding;
        }
        const [head, query] = binding.split("?", 2) as [string, string | undefined];
        const params = new URLSearchParams(query ?? "");
        const declared = params.has("size") ? parseSize(params.get("size")) : undefined;
        let size: number | undefined;
        try {
          size = statSync(file).size;
        } catch {
          size = declared;
        }
        if (size === undefined) return binding;
        if (!adopted.has(name)) adopted.set(name, { name, file, size, created, tenant });
        params.delete("size");
        changed = true;
        return params.size === 0 ? head : `${head}?${params}`;
      });
      if (changed) update.run(JSON.stringify({ ...spec, devices }), spec.name);
    }
    const insert = this.#db.prepare("INSERT OR IGNORE INTO volumes (name, file, size, created, tenant) VALUES (?, ?, ?, ?, ?)");
    for (const v of adopted.values()) insert.run(v.name, v.file, v.size, v.created, v.tenant ?? null);
    return [...adopted.keys()];
  }
}
