/**
 * @module guest/web/fetch
 * The fetch group of the web globals: `Headers`, `Request` and `Response`, whose bodies are
 * streams (with a fast path for bodies of bytes), and the hooks of tsuki/http's server.
 */

import { initialised } from "../common/registry.ts";

export { Headers } from "./headers.ts";
export { Request } from "./request.ts";
export { Response } from "./response.ts";
export { internals } from "./internals.ts";
export { responseFromWire } from "./response.ts";
export { headersFromFields } from "./headers.ts";
export { bodyHolder } from "./body-mixin.ts";

initialised("fetch");
