/**
 * @module host/config/tags
 * The tags that create capabilities in a run configuration (cloudabi-run style): a value under
 * `devices` becomes a host resource only through one of these tags, each of which makes a binding
 * of one device kind.
 *
 *   !listen tcp://ADDR:PORT | tls://ADDR:PORT?cert=…&key=…   or { url, cert, key, max }    listener
 *   !connect tcp://HOST:PORT | tls://HOST:PORT?ca=…&servername=… or { url, ca, servername, max } connector
 *   !udp udp://ADDR:PORT                                     or { url, peer }               udp
 *   !block PATH                                              or { path, size, sector }      block
 *   !net tap:NAME[?mac=02:…]                                                                net
 *
 * Relative paths (a block file, a certificate, a key) resolve against the configuration's folder
 * and become absolute in the binding's URI, so the binding means the same from any directory.
 */

import path from "node:path";
import { type Node, type Scalar, isMap, isScalar, isSeq } from "yaml";
import type { DeviceKind } from "../../abi/index.ts";
import type { Binding } from "../spec/bindings.ts";
import { DEFAULT_SECTOR, type DeviceBinding, UriProblem, encodePath, formatDeviceUri, parseDeviceUri, parseSector } from "../spec/device-uri.ts";
import { checkPathText, parsePeerText } from "../spec/endpoint.ts";
import { parseSize } from "../common/size.ts";
import { type KeySegment, closest } from "./problems.ts";
import type { Reader } from "./reader.ts";

interface TagSpec {
  readonly kind: DeviceKind;
  /** What the scalar form takes, for messages. */
  readonly takes: string;
  /** An example value, for messages. */
  readonly example: string;
  /** The keys of the mapping form, if the tag has one (the first is required). */
  readonly keys?: readonly string[];
  /** An example of the mapping form, for messages. */
  readonly mappingExample?: string;
}

export const DEVICE_TAGS: Readonly<Record<string, TagSpec>> = {
  "!listen": {
    kind: "listener",
    takes: "tcp://ADDR:PORT or tls://ADDR:PORT?cert=PATH&key=PATH",
    example: "tcp://127.0.0.1:8080",
    keys: ["url", "cert", "key", "max"],
    mappingExample: "{ url: tls://127.0.0.1:8443, cert: site.crt, key: site.key, max: 100 }",
  },
  "!connect": {
    kind: "connector",
    takes: "tcp://HOST:PORT or tls://HOST:PORT, optionally ?max=N (tls: ?ca=PATH&servername=NAME)",
    example: "tcp://127.0.0.1:5432",
    keys: ["url", "ca", "servername", "max"],
    mappingExample: "{ url: tls://db.internal:5432, ca: db-ca.pem, servername: db.internal, max: 16 }",
  },
  "!udp": {
    kind: "udp",
    takes: "udp://ADDR:PORT",
    example: "udp://127.0.0.1:5353",
    keys: ["url", "peer"],
    mappingExample: "{ url: udp://127.0.0.1:5353, peer: 127.0.0.1:53 }",
  },
  "!block": {
    kind: "block",
    takes: "the path of a file",
    example: "data/disk.img",
    keys: ["path", "size", "sector"],
    mappingExample: "{ path: data/disk.img, size: 64M, sector: 512 }",
  },
  "!net": { kind: "net", takes: "tap:NAME[?mac=02:…]", example: "tap:tap0" },
};

export const DEVICE_TAG_NAMES = Object.keys(DEVICE_TAGS);

/** Words people reach for instead of a tag: schemes and kind names. */
const TAG_ALIASES: Readonly<Record<string, string>> = {
  "!tcp": "!listen or !connect",
  "!tls": "!listen",
  "!listener": "!listen",
  "!connector": "!connect",
  "!datagram": "!udp",
  "!file": "!block",
  "!disk": "!block",
  "!tap": "!net",
};

/** "did you mean …" for an unknown tag, or the list of tags. */
export function tagHint(tag: string): string {
  const guess = TAG_ALIASES[tag.toLowerCase()] ?? closest(tag, DEVICE_TAG_NAMES);
  const all = `the tags are ${DEVICE_TAG_NAMES.join(", ")}`;
  return guess ? `did you mean ${guess}? (${all})` : all;
}

/** The tag a scalar value looks like it wants, from its scheme. */
function tagForValue(text: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  return scheme === "tcp" || scheme === "tls" ? "!listen" : scheme === "udp" ? "!udp" : scheme === "tap" ? "!net" : scheme === "file" ? "!block" : undefined;
}

/** What to write for an untagged device value: a guess at the tag from what the value looks like. */
export function untaggedHint(name: string, node: Node | null, text: string | undefined): string {
  const shown = text ?? "…";
  if (isMap(node)) {
    const url = node.get("url");
    const scheme = typeof url === "string" ? url.slice(0, url.indexOf(":") + 1) : "";
    const tag = node.has("path") ? "!block" : scheme === "udp:" ? "!udp" : "!listen";
    return `put the tag before the mapping: \`${name}: ${tag} { … }\``;
  }
  if (text === undefined) return `write \`${name}: !listen tcp://127.0.0.1:8080\` or another device tag (${DEVICE_TAG_NAMES.join(", ")})`;
  if (/^tcp:/.test(text)) return `write \`${name}: !listen ${shown}\` to listen (or \`${name}: !connect ${shown}\` to connect)`;
  if (/^tls:/.test(text)) return `write \`${name}: !listen ${shown}\``;
  if (/^udp:/.test(text)) return `write \`${name}: !udp ${shown}\``;
  if (/^tap:/.test(text)) return `write \`${name}: !net ${shown}\``;
  if (/^file:/.test(text)) return `write \`${name}: !block ${text.slice("file:".length)}\``;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) return `write it with a device tag, e.g. \`${name}: !listen tcp://127.0.0.1:8080\` (${DEVICE_TAG_NAMES.join(", ")})`;
  return `write \`${name}: !block ${shown}\` for a block device, or another device tag (${DEVICE_TAG_NAMES.join(", ")})`;
}

/**
 * The binding a tagged device value makes, or undefined after reporting why it makes none.
 * `node` carries `tag`, a key of DEVICE_TAGS.
 */
export function deviceBinding(reader: Reader, name: string, tag: string, node: Node | null): Binding | undefined {
  const spec = DEVICE_TAGS[tag]!;
  const segments = ["devices", name];
  const at = reader.offset(node);
  const origin = `${reader.location(at)} (${tag})`;
  const bad = (text: string, where: readonly KeySegment[] = segments, offset = at): undefined => void reader.report("CONFIG_VALUE", where, offset, text);
  const forms = spec.keys ? `${spec.takes} or a mapping ${spec.mappingExample}` : spec.takes;
  const fix = `write \`${name}: ${tag} ${spec.example}\``;

  let uri: string | undefined;
  if (node === null || (isScalar(node) && (node.value === null || reader.text(node as Scalar) === ""))) {
    return bad(`has ${tag} without a value: ${tag} takes ${forms}; ${fix}`);
  }
  if (isScalar(node)) {
    const text = reader.text(node).trim();
    const other = tagForValue(text);
    const otherFix = other && other !== tag && !(other === "!listen" && tag === "!connect") ? `write \`${name}: ${other} ${text}\` for a ${DEVICE_TAGS[other]!.kind}, or ${fix}` : fix;
    uri = scalarUri(spec.kind, text, reader, (why) => bad(`is ${tag} ${JSON.stringify(text)}, which ${why}: ${otherFix}`));
  } else if (isMap(node) && spec.keys) {
    uri = mappingUri(spec, tag, name, reader, node);
  } else {
    return bad(`has ${tag} with a ${isSeq(node) ? "list" : isMap(node) ? "mapping" : "value"}, but ${tag} takes ${forms}: ${fix}`);
  }
  return uri === undefined ? undefined : { name, uri, kind: spec.kind, origin, path: "yaml" };
}

/** The URI of a scalar form; `bad` reports why it is not one (its text completes "which …"). */
function scalarUri(kind: DeviceKind, text: string, reader: Reader, bad: (why: string) => undefined): string | undefined {
  if (kind === "block") {
    // `!block PATH` is a path as it is, not a URI: '%', '#' and spaces are part of the name.
    const file = text.startsWith("file:") ? text.slice("file:".length) : text;
    if (file === "") return bad("names no file");
    if (file.includes("?")) return bad("has a '?', which cannot be in a block file's path (it starts the options); rename the file, and give options as { path, size, sector }");
    try {
      checkPathText(file);
    } catch (error) {
      return bad((error as UriProblem).message);
    }
    return `file:${encodePath(path.resolve(reader.dir, file))}`;
  }
  return canonical(kind, text, reader, bad);
}

/** `uri` parsed by the one device-URI parser and written back canonically, or undefined after `bad`. */
function canonical(kind: DeviceKind, uri: string, reader: Reader, bad: (why: string) => undefined): string | undefined {
  try {
    return formatDeviceUri(parseDeviceUri(kind, uri, { base: reader.dir }));
  } catch (error) {
    if (error instanceof UriProblem) return bad(error.message);
    throw error;
  }
}

/** The URI of a mapping form, checking each key's type. */
function mappingUri(spec: TagSpec, tag: string, name: string, reader: Reader, node: Node): string | undefined {
  const segments = ["devices", name];
  const keys = spec.keys!;
  const values = new Map<string, { node: Node | null; offset: number }>();
  let ok = true;
  for (const [key, value, keyNode] of reader.entries(node, segments)) {
    if (!keys.includes(key)) {
      const guess = closest(key, keys);
      reader.report("CONFIG_KEY", [...segments, key], reader.offset(keyNode), `is not an option of ${tag}${guess ? `: did you mean ${guess}?` : ""} (${tag} takes ${keys.join(", ")}, e.g. ${spec.mappingExample})`);
      ok = false;
      continue;
    }
    reader.forbidTags(value, [...segments, key], () => "tags only bind devices, directly under devices: remove it");
    values.set(key, { node: value, offset: reader.offset(value, reader.offset(keyNode)) });
  }
  const required = keys[0]!;
  if (!values.has(required)) {
    reader.report("CONFIG_VALUE", segments, reader.offset(node), `has ${tag} without ${required}: write \`${name}: ${tag} ${spec.mappingExample}\``);
    return undefined;
  }
  const bad = (key: string, text: string): undefined => {
    ok = false;
    reader.report("CONFIG_VALUE", [...segments, key], values.get(key)!.offset, text);
    return undefined;
  };
  /** A key's value as a non-empty string, or undefined after reporting. */
  const string = (key: string, what: string): string | undefined => {
    const v = values.get(key)?.node;
    if (isScalar(v) && typeof v.value === "string" && v.value !== "") return v.value;
    return bad(key, `is ${describe(v)}, not ${what}: e.g. ${spec.mappingExample}`);
  };
  /** A key's value as a whole number from `min`, or undefined after reporting. */
  const integer = (key: string, what: string, min: number): number | undefined => {
    const v = values.get(key)?.node;
    if (isScalar(v) && typeof v.value === "number" && Number.isSafeInteger(v.value) && v.value >= min) return v.value;
    return bad(key, `is ${describe(v)}, not ${what} (a whole number from ${min}): e.g. ${spec.mappingExample}`);
  };

  /** `check(text)` or undefined after reporting its problem at `key`. */
  const checked = <T>(key: string, text: string, check: (text: string) => T): T | undefined => {
    try {
      return check(text);
    } catch (error) {
      if (!(error instanceof UriProblem)) throw error;
      return bad(key, `is ${JSON.stringify(text)}, which ${error.message}: e.g. ${spec.mappingExample}`);
    }
  };

  if (spec.kind === "block") {
    const file = string("path", "the path of a file");
    if (file?.includes("?")) bad("path", `is ${JSON.stringify(file)}: a '?' cannot be in a block file's path (it starts the options); rename the file`);
    else if (file !== undefined) checked("path", file, (t) => (checkPathText(t), t));
    let sector: number | undefined;
    if (values.has("sector")) {
      sector = integer("sector", "a sector size in bytes", 1);
      if (sector !== undefined) {
        const text = String(sector);
        try {
          parseSector(text);
        } catch {
          sector = bad("sector", `is ${sector}: a sector size is a power of two from 512 to 65536, e.g. \`sector: 512\` or \`sector: 4096\``);
        }
      }
    }
    let size: number | undefined;
    if (values.has("size")) {
      const v = values.get("size")!.node;
      size = isScalar(v) ? parseSize(v.value) || undefined : undefined;
      if (size === undefined) bad("size", `is ${describe(v)}, not a size: write a number of bytes or e.g. 64M (K, M, G or T)`);
      else if (size % (sector ?? DEFAULT_SECTOR) !== 0) bad("size", `is ${size} bytes, not a whole number of ${sector ?? DEFAULT_SECTOR}-byte sectors: e.g. \`size: 64M\``);
    }
    if (!ok || file === undefined) return undefined;
    return formatDeviceUri({ kind: "block", scheme: "file", path: path.resolve(reader.dir, file), ...(size === undefined ? {} : { size }), ...(sector === undefined ? {} : { sector }) });
  }

  const url = string("url", spec.takes);
  // The url alone: a tls:// one is read as its endpoint, its certificate and key being keys of their own.
  const endpointOf = (u: string): DeviceBinding => (u.startsWith("tls:") && (spec.kind === "listener" || spec.kind === "connector") ? parseDeviceUri(spec.kind, `tcp:${u.slice(4)}`) : parseDeviceUri(spec.kind, u));
  const endpoint = url === undefined ? undefined : url.includes("?") ? bad("url", `is ${JSON.stringify(url)}, which has ?options: write them as keys of the mapping instead`) : checked("url", url, endpointOf);
  if (spec.kind === "connector") {
    const tlsUrl = url?.startsWith("tls:") === true;
    const options: [string, string][] = [];
    for (const key of ["ca", "servername"]) {
      if (!values.has(key)) continue;
      if (!tlsUrl) {
        bad(key, `is given for ${url ?? "a connector"}, but only a tls:// connector takes ${key}: use url: tls://… or remove ${key}`);
        continue;
      }
      const value = string(key, key === "ca" ? "the path of a PEM CA file" : "a DNS name");
      if (value !== undefined) options.push([key, key === "ca" ? encodePath(path.resolve(reader.dir, value)) : value]);
    }
    const max = values.has("max") ? integer("max", "a number of connections", 1) : undefined;
    if (max !== undefined) options.push(["max", String(max)]);
    if (!ok || url === undefined || endpoint === undefined) return undefined;
    return checked("url", `${url}${options.length === 0 ? "" : `?${options.map(([k, v]) => `${k}=${v}`).join("&")}`}`, (u) => formatDeviceUri(parseDeviceUri("connector", u)));
  }
  if (spec.kind === "udp") {
    const peer = values.has("peer") ? string("peer", "HOST:PORT") : undefined;
    const parsed = peer === undefined ? undefined : checked("peer", peer, parsePeerText);
    if (!ok || endpoint?.kind !== "udp") return undefined;
    return formatDeviceUri({ kind: "udp", scheme: "udp", host: endpoint.host, port: endpoint.port, ...(parsed === undefined ? {} : { peer: parsed }) });
  }
  const tls = url?.startsWith("tls:") === true;
  const files: Record<string, string> = {};
  for (const file of ["cert", "key"]) {
    if (!values.has(file)) continue;
    if (!tls) {
      bad(file, `is given for ${url ?? "a listener"}, but only a tls:// listener takes a certificate and key: use url: tls://… or remove ${file}`);
      continue;
    }
    const value = string(file, `the path of a PEM ${file === "cert" ? "certificate" : "private key"}`);
    if (value !== undefined && checked(file, value, (t) => (checkPathText(t), t)) !== undefined) files[file] = path.resolve(reader.dir, value);
  }
  if (tls && (!values.has("cert") || !values.has("key"))) {
    ok = false;
    reader.report("CONFIG_VALUE", segments, reader.offset(node), `is a tls:// listener without ${values.has("cert") ? "key" : values.has("key") ? "cert" : "cert and key"}: write \`${name}: ${tag} ${spec.mappingExample}\``);
  }
  const max = values.has("max") ? integer("max", "a number of connections", 1) : undefined;
  if (!ok || endpoint?.kind !== "listener") return undefined;
  const capped = max === undefined ? {} : { max };
  const { host, port } = endpoint;
  return formatDeviceUri(tls ? { kind: "listener", scheme: "tls", host, port, ...capped, cert: files.cert!, key: files.key! } : { kind: "listener", scheme: "tcp", host, port, ...capped });
}

/** What a node is, for messages: `"abc"`, `12`, `a list`, `a mapping`, `empty`. */
function describe(node: Node | null | undefined): string {
  if (!node || (isScalar(node) && node.value === null)) return "empty";
  if (isSeq(node)) return "a list";
  if (isMap(node)) return "a mapping";
  if (isScalar(node)) return JSON.stringify(node.value) ?? String(node.value);
  return "an alias";
}




