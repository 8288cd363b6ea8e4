/**
 * @module guest/web/common/registry
 * How one group of web globals reaches another without loading it before it is needed. Each group
 * (a folder here with an `index.ts`) is a module the web script initialises on first use; a group
 * that needs another only on some paths (a `Response` needs streams only when its `body` is read
 * as a stream) asks for it here at that moment instead of importing it, which would initialise
 * it together with the importer.
 *
 * The loader is set once by `install` (the web script), or by a test.
 */

import type * as Abort from "../abort/index.ts";
import type * as Compression from "../compression/index.ts";
import type * as Fetch from "../fetch/index.ts";
import type * as File from "../file/index.ts";
import type * as Streams from "../streams/index.ts";
import type * as Url from "../url/index.ts";

export type Loader = (group: string) => unknown;

let loader: Loader | undefined;
const loaded = new Set<string>();

export function setLoader(load: Loader): void {
  loader = load;
}

function load<T>(group: string): T {
  if (loader === undefined) throw new Error("tsuki web: the web globals are not installed");
  return loader(group) as T;
}

/** Called by a group's `index.ts` as it is initialised, however it was reached. */
export function initialised(group: string): void {
  loaded.add(group);
}

/**
 * Whether `group` has been initialised: before that no object of its classes can exist, so a
 * check such as "is this a ReadableStream" is answered without loading the group. Groups import
 * one another only through their `index.ts`, which marks them.
 */
export function isLoaded(group: string): boolean {
  return loaded.has(group);
}

export const streams = (): typeof Streams => load("streams");
export const file = (): typeof File => load("file");
export const url = (): typeof Url => load("url");
export const abort = (): typeof Abort => load("abort");
export const fetch = (): typeof Fetch => load("fetch");
export const compression = (): typeof Compression => load("compression");
