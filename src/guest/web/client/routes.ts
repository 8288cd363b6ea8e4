/**
 * @module guest/web/client/routes
 * Which connector serves a URL's origin: the routes the device drivers published at boot
 * (`Symbol.for("tsuki.fetch-routes")`, guest/runtime/drivers/fetch-routes.ts), each with its pool of
 * connections. An origin no connector serves is a TypeError that names it and says what would
 * serve it: the declaration in the image and the binding by the operator.
 */

import type { FetchRoute, FetchRoutes } from "../../runtime/drivers/fetch-routes.ts";
import { Pool } from "./pool.ts";
import type { URL } from "../url/url.ts";

export interface Route extends FetchRoute {
  readonly pool: Pool;
}

const routes = new Map<string, Route>();

export function routeFor(url: URL): Route {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`fetch: ${url.href.slice(0, 200)} is not an http: or https: URL; a unikernel fetches only over its connectors`);
  const origin = url.origin;
  const known = routes.get(origin);
  if (known !== undefined) return known;
  const published = (globalThis as unknown as Record<symbol, FetchRoutes | undefined>)[Symbol.for("tsuki.fetch-routes")];
  const route = published?.get(origin);
  if (route === undefined) throw new TypeError(unserved(url, published?.origins() ?? []));
  const made: Route = { ...route, pool: new Pool(route.connector, route.max) };
  routes.set(origin, made);
  return made;
}

function unserved(url: URL, served: string[]): string {
  const https = url.protocol === "https:";
  const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
  const name = /^[a-z]/.test(url.hostname) ? url.hostname.split(".")[0]!.replace(/[^A-Za-z0-9_]/g, "_") : "upstream";
  const others = served.length === 0 ? "it has none with an origin" : `its connectors serve ${served.join(", ")}`;
  return (
    `fetch: no connector serves ${url.origin} (for ${url.href.slice(0, 200)}), and a unikernel reaches only the origins its connectors serve (${others}): ` +
    `declare one in the image, devices: { ${name}: connector({ origin: "${url.origin}" }) }, and bind it, --dev ${name}=${https ? "tls" : "tcp"}://${url.hostname}:${port}`
  );
}
