/**
 * @module host/build/input-names
 * The names a build gives the files it bundles, in the manifest's inputs, in the bundle's
 * comments and module keys, and in the source map: names that do not depend on where npm put a
 * package. The unikernel's own files are named by their path inside its folder (`src/main.ts`);
 * a file of a package by the package's name, version and the file's path inside it
 * (`fflate@0.8.3/esm/browser.js`), whether npm installed it in the folder's own `node_modules`,
 * hoisted it to a parent's, or linked a workspace package there; the SDK stays `tsuki:<path>`.
 * So the same source and the same packages give the same image in a workspace checkout and in
 * a copy installed on its own (DESIGN.md, principle 7).
 */

import { readFileSync } from "node:fs";
import path from "node:path";

interface PackageId {
  readonly name: string;
  readonly version: string | undefined;
}

/** Names inputs of one build; reads each package's package.json once. */
export class InputNames {
  readonly #dir: string;
  readonly #packages = new Map<string, PackageId | null>();

  /** `dir`: the unikernel's folder, absolute (esbuild's working directory). */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The stable name of an input as esbuild names it (relative to the folder, `tsuki:…`, `<stdin>`). */
  name(input: string): string {
    if (input.startsWith("tsuki:") || input.startsWith("<")) return input;
    const file = path.resolve(this.#dir, input);
    const own = path.relative(this.#dir, file);
    const parts = file.split(path.sep);
    const modules = parts.lastIndexOf("node_modules");
    if (modules < 0 && !own.startsWith(`..${path.sep}`) && own !== "..") return posix(own);
    // A package: below the last node_modules ("@scope/name" or "name"), else the nearest folder above the file whose package.json has a name (a workspace package npm linked, whose real path esbuild reports).
    const root = modules >= 0 ? parts.slice(0, modules + (parts[modules + 1]?.startsWith("@") ? 3 : 2)).join(path.sep) : this.#namedAbove(path.dirname(file));
    const id = root === undefined ? undefined : this.#package(root);
    if (root === undefined || id === undefined) return posix(own);
    return `${id.name}${id.version === undefined ? "" : `@${id.version}`}/${posix(path.relative(root, file))}`;
  }

  #namedAbove(start: string): string | undefined {
    for (let at = start; ; at = path.dirname(at)) {
      if (this.#package(at) !== undefined) return at;
      if (path.dirname(at) === at) return undefined;
    }
  }

  /** The name and version in `root`/package.json; undefined when it has none (or no name). */
  #package(root: string): PackageId | undefined {
    let id = this.#packages.get(root);
    if (id === undefined) {
      id = null;
      try {
        const json = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
        if (typeof json.name === "string" && json.name !== "") id = { name: json.name, version: typeof json.version === "string" && json.version !== "" ? json.version : undefined };
      } catch {
        // No package.json, or not JSON: not a package root.
      }
      this.#packages.set(root, id);
    }
    return id ?? undefined;
  }
}

const posix = (relative: string) => relative.split(path.sep).join("/");
