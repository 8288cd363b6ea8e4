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
 */

import { DatabaseSync } from "node:sqlite";
import { DaemonError } from "./errors.ts";
import type { UnikernelSpec } from "./spec.ts";

const SCHEMA_VERSION = 1;

export interface StoredUnikernel {
  readonly spec: UnikernelSpec;
  /** When it was created, ms since the epoch. */
  readonly created: number;
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
          created INTEGER NOT NULL
        ) STRICT;`);
      this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
    });
    const version = (this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value;
    if (version !== String(SCHEMA_VERSION)) throw new Error(`${file} has schema version ${version}; this tsukid reads version ${SCHEMA_VERSION}`);
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

  /** Adds a unikernel; false when the name is taken (the primary key decides between racing creates). */
  insert(spec: UnikernelSpec, created: number): boolean {
    const result = this.#db.prepare("INSERT OR IGNORE INTO unikernels (name, image, priority, spec, created) VALUES (?, ?, ?, ?, ?)").run(spec.name, spec.image, spec.priority, JSON.stringify(spec), created);
    return result.changes === 1;
  }

  remove(name: string): boolean {
    return this.#db.prepare("DELETE FROM unikernels WHERE name = ?").run(name).changes === 1;
  }

  /** Every unikernel, in start order: priority, then name. */
  all(): StoredUnikernel[] {
    const rows = this.#db.prepare("SELECT spec, created FROM unikernels ORDER BY priority, name").all() as { spec: string; created: number }[];
    return rows.map((row) => ({ spec: JSON.parse(row.spec) as UnikernelSpec, created: row.created }));
  }

  /** Whether any unikernel uses the image. */
  imageInUse(sha256: string): boolean {
    return this.#db.prepare("SELECT 1 FROM unikernels WHERE image = ? LIMIT 1").get(sha256) !== undefined;
  }

  close(): void {
    this.#db.close();
  }
}
