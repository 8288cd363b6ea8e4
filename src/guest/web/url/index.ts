/**
 * @module guest/web/url
 * The url group of the web globals: `URL` and `URLSearchParams` (the WHATWG URL Standard, every
 * scheme, with IDNA), and the hooks fetch uses to parse and serialise without a `URL` object.
 */

import { initialised } from "../common/registry.ts";

export { URL, hrefOf } from "./url.ts";
export { URLSearchParams, isURLSearchParams, searchParamsList } from "./search-params.ts";
export { parseUrlencoded, serializeUrlencoded } from "./percent.ts";
export { parse as parseUrl } from "./parser.ts";
export { serializeUrl } from "./record.ts";

initialised("url");
