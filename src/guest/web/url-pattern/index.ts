/**
 * @module guest/web/url-pattern
 * The url-pattern group of the web globals: `URLPattern` (the URL Pattern Standard) from
 * urlpattern-polyfill, the implementation the standard's editors keep and test against the
 * web-platform-tests urlpattern data (18 KB minified; the standard's tokenizer, pattern parser and
 * component canonicalisation are some 1,500 lines to write). It canonicalises components with the
 * global `URL`, which is this runtime's.
 */

import { URLPattern } from "urlpattern-polyfill/urlpattern";
import { initialised } from "../common/registry.ts";

export { URLPattern };

initialised("url-pattern");
