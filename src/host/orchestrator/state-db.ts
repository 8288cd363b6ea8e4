/**
 * @module host/orchestrator/state-db
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
 * policies (daemon.ts). Schema 1 (before tenants were recorded) is migrated in place: its
 * unikernels have no tenant and are brought back as the administrator's.
 */

import { DatabaseSync } from "node:sqlite";
import { DaemonError } from "./errors.ts";
import type { UnikernelSpec } from "./spec.ts";
import type { Policy } from "./policy.ts";
import { type Tenant, tenantName } from "./tenants.ts";

const SCHEMA_VERSION = 2;

export interface StoredUnikernel {
  readonly spec: UnikernelSpec;
  /** When it was created, ms since the epoch. */
  readonly created: number;
  /** The path of the tenant that created it ("acme/web"); undefined for the administrator's. */
  readonly tenant: string | undefined;
}

export class StateDb {
  #db: DatabaseSync;

  constructor(file: string) {
    this.#db = new DatabaseSync(file);
    try {
      this.#db.exec("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
      this.#db.exec("BEGIN IMMEDIATE; COMMIT;");
    } catch (error) {
      this.#db.close();
      if ((error as { errcode?: unknown }).errcode === 5) throw new DaemonError("DAEMON_RUNNING", `another tsukid holds ${file}: one daemon per state directory (stop the other, or give another --state)`);
      throw error;
    }
    this.transaction(() => {
      this.#db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE IF NOT EXISTS unikernels (
          name TEXT PRIMARY KEY,
          image TEXT NOT NULL,
          priority INTEGER NOT NULL,
          spec TEXT NOT NULL,
          created INTEGER NOT NULL,
          tenant TEXT
        ) STRICT;
        CREATE TABLE IF NOT EXISTS tenant_policies (path TEXT PRIMARY KEY, policy TEXT NOT NULL, recorded INTEGER NOT NULL) STRICT;`);
      this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
      const version = (this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
      if (version === "1") {
        this.#db.exec("ALTER TABLE unikernels ADD COLUMN tenant TEXT");
        this.#db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION));
      }
    });
    const version = (this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
    if (version !== String(SCHEMA_VERSION)) {
      this.#db.close();
      throw new DaemonError("STATE_DIR", `${file} has schema version ${version}; this tsukid reads versions 1 and ${SCHEMA_VERSION}: run the tsuki that wrote it, or give another --state`);
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
    return new Map(rows.map((row) => [row.path, JSON.parse(row.policy) as Policy]));
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

  close(): void {
    this.#db.close();
  }
}
