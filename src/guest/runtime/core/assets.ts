/**
 * @module guest/runtime/core/assets
 * The `assets` object of `start`'s context: the image's embedded files, read in pieces of at most
 * `LIMITS.assetRead` bytes through `asset.read`, from the image the tender holds in memory.
 */

import { type AssetInfo, LIMITS } from "../../../abi/index.ts";
import type { AssetEntry, Assets } from "../../sdk/assets.ts";
import type { Call } from "./hypercall.ts";

export function makeAssets(infos: readonly AssetInfo[], call: Call, decode: (bytes: Uint8Array) => string): Assets {
  const byPath = new Map<string, AssetInfo>();
  for (const info of infos) byPath.set(info.path, info);
  const entry = (info: AssetInfo): AssetEntry => ({ path: info.path, size: info.size, sha256: info.sha256 });

  function read(path: string, offset = 0, length?: number): Uint8Array | undefined {
    const info = byPath.get(String(path));
    if (info === undefined) return undefined;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`assets.read: offset must be a non-negative integer, got ${offset}`);
    const start = Math.min(offset, info.size);
    const end = length === undefined ? info.size : Math.min(info.size, start + Math.max(0, Math.trunc(length)));
    const out = new Uint8Array(end - start);
    for (let at = start; at < end; ) {
      const piece = call("asset.read", info.handle, at, Math.min(LIMITS.assetRead, end - at));
      if (piece.length === 0) break;
      out.set(piece, at - start);
      at += piece.length;
    }
    return out;
  }

  return Object.freeze({
    list: () => infos.map(entry),
    stat(path: string) {
      const info = byPath.get(String(path));
      return info && entry(info);
    },
    read,
    text(path: string) {
      const bytes = read(path);
      return bytes && decode(bytes);
    },
  });
}
