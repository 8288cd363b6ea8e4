/**
 * @module website/mime
 * Content types by file extension (the IANA media types browsers expect; text types carry
 * `charset=utf-8`), which of them are worth compressing, and how long a client may cache them.
 */

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  map: "application/json",
  webmanifest: "application/manifest+json",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  xml: "application/xml",
  rss: "application/rss+xml",
  atom: "application/atom+xml",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  wasm: "application/wasm",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  mp4: "video/mp4",
  webm: "video/webm",
};

export const DEFAULT_TYPE = "application/octet-stream";

/** The media type of an asset path, by its extension (case-insensitive). */
export function contentType(path: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return DEFAULT_TYPE; // no extension, or a dot file such as ".well-known/x"
  return TYPES[path.slice(dot + 1).toLowerCase()] ?? DEFAULT_TYPE;
}

const COMPRESSIBLE = new Set(["application/json", "application/manifest+json", "application/xml", "application/rss+xml", "application/atom+xml", "image/svg+xml", "application/wasm"]);

/** Whether gzip is worth trying on this type: text, and the structured text and wasm formats; never images, fonts or archives, which are compressed already. */
export function isCompressible(type: string): boolean {
  return type.startsWith("text/") || COMPRESSIBLE.has(type);
}

/**
 * `Cache-Control` for a type. Pages are revalidated on every use (a cheap 304 with the ETag), so a
 * new image is visible at once; other files may be used without asking for `maxAge` seconds and
 * are revalidated after that. URLs here carry no content hash, so nothing is `immutable`.
 */
export function cacheControl(type: string, maxAge: number): string {
  return type.startsWith("text/html") ? "public, max-age=0, must-revalidate" : `public, max-age=${maxAge}`;
}
