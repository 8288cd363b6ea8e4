/**
 * @module host/orchestrator/store/image-owners
 * Whose images are whose. An image belongs to each tenant that uploaded it (and to the
 * administrator for what arrived on the Unix socket): a tenant sees and runs only images that it
 * or one of its sub-tenants uploaded, and another's image is answered exactly as one the daemon
 * does not hold (404 ERR_IMAGE_NOT_FOUND), so its SHA-256 tells nothing. Each tenant's copy counts
 * against its storage budget and each ancestor's (as block volumes do, control/tenants.ts), even when the
 * bytes are stored once for several. An ownership is let go when none of the owner's subtree's
 * unikernels runs the image and either one did (a create claimed it) or it was uploaded longer
 * than the grace ago (an upload waits that long for the create that should follow it); a file is
 * removed when it has no owner left and no unikernel runs it.
 */

/** One tenant's (or the administrator's, owner "") copy of an image. */
export interface ImageOwner {
  /** The image's SHA-256. */
  readonly image: string;
  /** The tenant path that uploaded it, "" for the administrator. */
  readonly owner: string;
  /** Bytes. */
  readonly size: number;
  /** When it was last uploaded, ms since the epoch; 0 once a create has run it (its grace is over). */
  readonly uploaded: number;
}

/** How long an upload is kept for the create that should follow it. */
export const IMAGE_GRACE_MS = 10 * 60_000;

/** Whether `tenant` lies in `owner`'s subtree ("" is everyone's). */
export function within(tenant: string, owner: string): boolean {
  return owner === "" || tenant === owner || tenant.startsWith(`${owner}/`);
}

/** Whether the tenant at `path` may see and run `image`: it or a sub-tenant uploaded it. */
export function imageVisible(owners: Iterable<ImageOwner>, image: string, path: string): boolean {
  for (const o of owners) if (o.image === image && within(o.owner, path) && o.owner !== "") return true;
  return false;
}

/** What storage budgets count of an image: whole MiB, rounded up. */
export function imageMb(owner: Pick<ImageOwner, "size">): number {
  return Math.ceil(owner.size / 2 ** 20);
}

/**
 * The ownerships to let go now: uploaded before `now - graceMs` and run by no unikernel of the
 * owner's subtree (`runs(image, owner)`).
 */
export function expiredOwners(owners: Iterable<ImageOwner>, now: number, graceMs: number, runs: (image: string, owner: string) => boolean): ImageOwner[] {
  return [...owners].filter((o) => now - o.uploaded >= graceMs && !runs(o.image, o.owner));
}
