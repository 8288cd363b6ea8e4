/**
 * @module guest/web/compression
 * The compression group of the web globals: `CompressionStream` and `DecompressionStream`, over
 * fflate's DEFLATE (13 KB minified with what it needs, against pako's 42 KB; a DEFLATE encoder
 * with Huffman trees and lazy matching is some 1,000 lines to write and keep).
 */

import { initialised } from "../common/registry.ts";

export { CompressionStream, DecompressionStream } from "./compression-streams.ts";

initialised("compression");
