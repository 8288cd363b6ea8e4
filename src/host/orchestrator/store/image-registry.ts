/**
 * @module host/orchestrator/store/image-registry
 * tsukid's images with their owners (image-owners.ts): uploads, taken a few at a time, streamed
 * to disk and checked off the control thread (image-upload.ts; the daemon hands in the checker,
 * supervision/image-check.ts, whose thread lives with the tender threads), and recorded as the
 * uploader's; which images a caller may see and run; and their collection, when nothing of its
 * owner's subtree runs it and either a create has used it (`claimed`) or the upload's grace has
 * passed without one, on every destroy and on a timer.
 * A file goes when it has no owner and no unikernel runs it.
 */

import type { IncomingMessage } from "node:http";
import { type Image, sha256 } from "../../image/image.ts";
import type { EventLog } from "./event-log.ts";
import { IMAGE_GRACE_MS, type ImageOwner, expiredOwners, imageMb, imageVisible, within } from "./image-owners.ts";
import type { ImageStore } from "./image-store.ts";
import { type ImageCheck, UPLOAD_DEFAULTS, UploadGate, receiveImage } from "./image-upload.ts";
import type { StateDb } from "./state-db.ts";

export interface ImageRegistryOptions {
  /** How long an upload waits for a create before it is let go. */
  readonly graceMs?: number;
  /** Uploads under way at once, in all. */
  readonly maxUploads?: number;
  /** …of one top-level tenant (with its sub-tenants), or of the administrator. */
  readonly maxTenantUploads?: number;
  /** Bytes a second one top-level tenant's uploads may arrive at, together. */
  readonly tenantBytesPerSecond?: number;
}

/** A unikernel as collection sees it: the image it runs and the tenant that created it ("" the administrator). */
export interface ImageUser {
  readonly image: string;
  readonly tenant: string;
}

export class ImageRegistry {
  readonly store: ImageStore;
  readonly graceMs: number;
  #db: StateDb;
  #log: EventLog;
  #users: () => Iterable<ImageUser>;
  #owners = new Map<string, ImageOwner>();
  #gate: UploadGate;
  #checker: ImageCheck;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: ImageStore, db: StateDb, log: EventLog, checker: ImageCheck, users: () => Iterable<ImageUser>, options: ImageRegistryOptions = {}) {
    this.store = store;
    this.#db = db;
    this.#log = log;
    this.#checker = checker;
    this.#users = users;
    this.graceMs = options.graceMs ?? IMAGE_GRACE_MS;
    this.#gate = new UploadGate(options.maxUploads ?? UPLOAD_DEFAULTS.maxUploads, options.maxTenantUploads ?? UPLOAD_DEFAULTS.maxTenantUploads, options.tenantBytesPerSecond ?? UPLOAD_DEFAULTS.tenantBytesPerSecond);
    for (const o of db.imageOwners()) {
      // Rows migrated from before schema 4 have no size yet: the stored file's.
      const owner = o.size === 0 ? { ...o, size: store.sizeOf(o.image) ?? 0 } : o;
      if (owner !== o) db.putImageOwner(owner);
      this.#owners.set(key(owner), owner);
    }
  }

  /** Every ownership (storage accounting reads them). */
  owners(): ImageOwner[] {
    return [...this.#owners.values()];
  }

  /** Whether the caller (a tenant's path; undefined: the administrator, who sees every image) may see and run `sha`. */
  visible(sha: string, tenant?: string): boolean {
    return tenant === undefined ? this.store.has(sha) : imageVisible(this.#owners.values(), sha, tenant) && this.store.has(sha);
  }

  /**
   * Takes an upload of `sha` for `owner` (a tenant's path, "" the administrator). `admit`, for a
   * tenant, refuses by throwing when the image would take it past its storage: asked before the
   * body is read (by its declared length) and again once its size is known; a tenant that owns the
   * image already is not charged twice.
   */
  async upload(req: IncomingMessage, sha: string, limit: number, owner: string, admit?: (sizeMb: number, owners: readonly ImageOwner[]) => void): Promise<Image> {
    const top = owner.split("/")[0]!;
    const release = this.#gate.enter(top);
    try {
      const owned = this.#owners.has(key({ image: sha, owner }));
      const others = () => [...this.#owners.values()].filter((o) => !(o.image === sha && o.owner === owner));
      const declared = Number(req.headers["content-length"]);
      if (!owned && Number.isFinite(declared)) admit?.(imageMb({ size: declared }), others());
      const image = await receiveImage(req, sha, limit, this.store, this.#checker, (bytes) => this.#gate.pace(top, bytes));
      admit?.(imageMb(image), others());
      const row: ImageOwner = { image: sha, owner, size: image.size, uploaded: Date.now() };
      this.#db.putImageOwner(row);
      this.#owners.set(key(row), row);
      return image;
    } finally {
      release();
      // A refused or failed upload may leave a stored file that no one owns.
      this.collect();
    }
  }

  /**
   * A create of `tenant` ("" the administrator) runs `sha`: the copies it could see have served
   * their purpose, so their grace ends (once no unikernel of their owner runs the image, they go).
   */
  claimed(sha: string, tenant: string): void {
    for (const o of [...this.#owners.values()]) {
      if (o.image !== sha || o.uploaded === 0 || !within(tenant, o.owner)) continue;
      const done = { ...o, uploaded: 0 };
      this.#db.putImageOwner(done);
      this.#owners.set(key(done), done);
    }
  }

  /**
   * Stores `bytes`, checked in full on this thread, as `owner`'s (a tenant path, "" the
   * administrator): for a daemon used as a library, which has no upload to stream. The API takes
   * uploads with `upload`.
   */
  add(owner: string, bytes: Uint8Array): Image {
    const image = this.store.put(sha256(bytes), bytes);
    const row: ImageOwner = { image: image.sha256, owner, size: image.size, uploaded: Date.now() };
    this.#db.putImageOwner(row);
    this.#owners.set(key(row), row);
    return image;
  }

  /** Lets go the ownerships whose grace has passed and that their subtree does not run; removes files nothing holds. */
  collect(now = Date.now()): void {
    const users = [...this.#users()];
    const runs = (image: string, owner: string) => users.some((u) => u.image === image && within(u.tenant, owner));
    const released = expiredOwners(this.#owners.values(), now, this.graceMs, runs);
    for (const o of released) {
      this.#db.removeImageOwner(o.image, o.owner);
      this.#owners.delete(key(o));
    }
    const held = new Set([...this.#owners.values()].map((o) => o.image).concat(users.map((u) => u.image)));
    const removed = this.store.collect((sha) => held.has(sha) || this.#db.imageInUse(sha), false);
    if (released.length > 0 || removed.length > 0) {
      this.#log.emit("images-collected", { images: removed, released: released.map((o) => ({ image: o.image, owner: o.owner })) });
    }
  }

  /** Collects every `intervalMs` (the grace, at most a minute) until `close`. */
  start(intervalMs = Math.min(this.graceMs, 60_000)): void {
    this.collect();
    this.#timer = setInterval(() => this.collect(), Math.max(1000, intervalMs));
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checker.close();
  }
}

const key = (o: Pick<ImageOwner, "image" | "owner">) => `${o.image} ${o.owner}`;
