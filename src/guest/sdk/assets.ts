/**
 * @module guest/sdk/assets
 * The files embedded in the image (the folder named by `unikernel({ assets })`), read through the
 * `asset.read` hypercall from the image the tender holds in memory: never from the host's disk.
 */

export interface AssetEntry {
  /** Path relative to the assets folder, "/"-separated. */
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the contents in hex, as recorded in the manifest (a ready-made ETag). */
  readonly sha256: string;
}

export interface Assets {
  /** Every embedded file, in path order. */
  list(): readonly AssetEntry[];
  /** The entry for `path`, or undefined. */
  stat(path: string): AssetEntry | undefined;
  /** The bytes of `path` (or `length` bytes from `offset`), or undefined if there is no such asset. */
  read(path: string, offset?: number, length?: number): Uint8Array | undefined;
  /** The contents of `path` decoded as UTF-8, or undefined. */
  text(path: string): string | undefined;
}
