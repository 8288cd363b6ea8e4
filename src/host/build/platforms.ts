/**
 * @module host/build/platforms
 * What to write instead of another platform's built-ins. A port to tsuki starts as a list of
 * build errors (DESIGN.md, principle 4); each must say what this platform's equivalent is — a
 * device, a global, a library — never "npm install cloudflare:sockets". Imports of Node's
 * built-ins, of Cloudflare Workers', Bun's and Deno's modules, JSR and npm: specifiers and URL
 * imports are answered here, and so is a Workers-style default export with handlers tsuki does
 * not run (its `fetch` is served: workers.ts).
 */

/** What to use instead of each Node built-in a port commonly imports (keys without "node:"). */
const NODE: Readonly<Record<string, string>> = {
  fs: "embed read-only files in the image with unikernel({ assets }) and read them with start({ assets }), or declare a block() device for storage",
  net: "declare a listener() device to accept connections, or a connector() to open one to the endpoint the operator binds",
  tls: "bind a listener() to tls://… (the host terminates TLS), or a connector()",
  http: 'serve HTTP with serve() from "tsuki/http" on a listener() device',
  dgram: "declare a udp() device",
  dns: "a unikernel does not look names up: the operator binds each connector() to its endpoint",
  crypto: "the global crypto has getRandomValues() and randomUUID()",
  buffer: "use Uint8Array, with TextEncoder/TextDecoder for text and atob/btoa for base64",
  events: "use EventTarget, or a package such as eventemitter3",
  timers: "setTimeout and setInterval are globals",
  url: "URL and URLSearchParams are globals",
  util: "TextEncoder and TextDecoder are globals; console.log formats values",
  path: "there is no file system; the URL global handles URL paths",
  stream: "use the web's streams (ReadableStream, WritableStream)",
  zlib: "use CompressionStream and DecompressionStream",
};
const NODE_ALIASES: Readonly<Record<string, string>> = { "fs/promises": "fs", https: "http", http2: "http", "timers/promises": "timers", "stream/web": "stream", "stream/promises": "stream", "dns/promises": "dns", "path/posix": "path" };
const NO_HOST = "a unikernel is one program with no host to ask: declare the resources it needs as devices and its settings as args";

/** The advice for an import of the Node built-in `spec` ("fs", "node:net", …). */
export function nodeEquivalent(spec: string): string {
  const base = spec.replace(/^node:/, "");
  return NODE[NODE_ALIASES[base] ?? base] ?? NO_HOST;
}

/**
 * Another platform's module, with what to do instead; undefined for a specifier that is just not
 * installed. Asked only about imports that do not resolve, so a bare "bun" is Bun's module only
 * when no package of that name is installed.
 */
export function foreignImport(spec: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(spec)?.[1];
  if (spec === "bun") return `"bun" is Bun's runtime module: serve HTTP with serve() from "tsuki/http" on a listener() device, open connections through connector() devices, and read settings from start({ args })`;
  switch (scheme) {
    case "cloudflare":
      if (spec === "cloudflare:sockets") {
        return `"cloudflare:sockets" is Cloudflare Workers' TCP API: here a unikernel reaches a server through a device; declare a connector() in unikernel({ devices }), have the operator bind it (--dev NAME=tcp://host:port), and call its connect() where you called connect()`;
      }
      if (spec === "cloudflare:workers") {
        return `"cloudflare:workers" is the Workers runtime (WorkerEntrypoint, DurableObject, env): here bindings are devices; declare them in unikernel({ devices }) and take them, with args, in start()`;
      }
      return `"${spec}" is a Cloudflare Workers built-in, which a unikernel does not have: declare the resources it needs as devices in unikernel({ devices })`;
    case "bun":
      if (spec === "bun:sqlite") return `"bun:sqlite" is Bun's SQLite: a unikernel keeps data on a block() device; "tsuki/kv" is a key-value store on one`;
      if (spec === "bun:ffi") return `"bun:ffi" loads native code, which a unikernel never runs: find a package written in JavaScript or WebAssembly`;
      return `"${spec}" is a Bun built-in, which a unikernel does not have: declare the resources it needs as devices in unikernel({ devices })`;
    case "deno":
      return `"${spec}" is not a module a unikernel has (Deno's APIs are the global Deno, absent here too): declare the resources it needs as devices in unikernel({ devices })`;
    case "jsr": {
      const name = /^jsr:\/?(@[^/@]+\/[^/@]+)/.exec(spec)?.[1] ?? spec.slice(4);
      return `"${spec}" is a JSR specifier, which Deno resolves when it runs; an image holds all its code: install the package into node_modules with "npx jsr add ${name}" and import "${name}"`;
    }
    case "npm": {
      const name = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(spec)?.[1] ?? spec.slice(4);
      return `"${spec}" is an npm: specifier, which Deno resolves when it runs; an image holds all its code: npm install ${name} and import "${name}"`;
    }
    case "http":
    case "https":
      return `"${spec}" is an import from a URL, which Deno fetches when it runs; an image holds all its code: install the package (npm install, or npx jsr add for JSR) and import it by name, or copy the file into the unikernel's folder`;
    default:
      return undefined;
  }
}

/**
 * A Workers-style default export (`export default { fetch, scheduled, … }`) with handlers besides
 * `fetch`: tsuki serves its `fetch` on the listener `http` (workers.ts), and has nothing that would
 * call the others. `handlers` are the names of its functions.
 */
export function workersModule(handlers: readonly string[]): string {
  const others = handlers.filter((h) => h !== "fetch");
  return (
    `the default export is a Workers-style module (export default { ${handlers.join(", ")} }): tsuki serves its fetch on the listener "http", but ${others.join(", ")} ${others.length === 1 ? "has" : "have"} nothing to call ${others.length === 1 ? "it" : "them"} here: ` +
    `remove ${others.length === 1 ? "it" : "them"} from the default export, or write a unikernel (export default unikernel({ devices, start })) that runs ${others.length === 1 ? "it" : "them"} on a timer or a device of its own`
  );
}
