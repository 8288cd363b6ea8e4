/**
 * The web globals' groups loaded in Node's test process, the way the web script loads them in a
 * guest (src/host/tender/guest/runtime-script.ts): `useWebGroups()` lets modules that reach other groups
 * through the registry run here; `installWebGlobals()` also puts tsuki's globals in place of
 * Node's, for code written against the globals (tsuki/http's server). Import it before such code.
 */

import * as abort from "../../../src/guest/web/abort/index.ts";
import * as client from "../../../src/guest/web/client/index.ts";
import * as compression from "../../../src/guest/web/compression/index.ts";
import * as events from "../../../src/guest/web/events/index.ts";
import * as fetch from "../../../src/guest/web/fetch/index.ts";
import * as file from "../../../src/guest/web/file/index.ts";
import { install } from "../../../src/guest/web/install.ts";
import * as navigator from "../../../src/guest/web/navigator/index.ts";
import { setLoader } from "../../../src/guest/web/common/registry.ts";
import * as streams from "../../../src/guest/web/streams/index.ts";
import * as urlPattern from "../../../src/guest/web/url-pattern/index.ts";
import * as url from "../../../src/guest/web/url/index.ts";

const GROUPS: Record<string, unknown> = { abort, client, compression, events, fetch, file, navigator, streams, "url-pattern": urlPattern, url };
const load = (group: string) => {
  if (!(group in GROUPS)) throw new Error(`no web group ${group}`);
  return GROUPS[group];
};

export function useWebGroups(): void {
  setLoader(load);
}

/** Node's own classes, taken before tsuki's replace them. */
export const node = { Response: globalThis.Response, Request: globalThis.Request, Headers: globalThis.Headers, URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams, FormData: globalThis.FormData, Blob: globalThis.Blob };

export function installWebGlobals(): void {
  install(globalThis, load);
}
