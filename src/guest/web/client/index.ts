/**
 * @module guest/web/client
 * The client group of the web globals: `fetch`, which reaches only the origins that the image's
 * connectors declare and the operator bound (DESIGN.md: fetch without ambient authority), over
 * HTTP/1.1 on their streams.
 */

import { initialised } from "../common/registry.ts";

export { fetch } from "./fetch.ts";

initialised("client");
