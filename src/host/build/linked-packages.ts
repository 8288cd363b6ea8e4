/**
 * @module host/build/linked-packages
 * Packages npm links rather than copies (workspace packages: `node_modules/x` a symbolic link to
 * `packages/x`) are bundled from where they are linked, as if they were installed there. esbuild
 * follows a link to its target, and a package outside every node_modules folder looks to it like
 * the unikernel's own code: its module names, generated identifiers and licence comments would
 * differ from those of the same package installed from a registry, and so would the image. This
 * plugin resolves as esbuild does, then names a file inside a linked package by its path under the
 * link; relative imports inside such a package are resolved from its real folder and named the
 * same way. Everything else is left to esbuild.
 */

import type { OnResolveArgs, Plugin } from "esbuild";
import { lstatSync, realpathSync } from "node:fs";
import path from "node:path";

const RECURSING = Symbol("linked-packages");

export function linkedPackages(): Plugin {
  return {
    name: "linked-packages",
    setup(b) {
      /** Real folder of a linked package → the link, as npm made it under node_modules. */
      const links = new Map<string, string>();
      const under = (file: string, root: string) => file === root || file.startsWith(root + path.sep);
      const toLink = (file: string) => {
        for (const [real, link] of links) if (under(file, real)) return link + file.slice(real.length);
        return file;
      };
      const toReal = (dir: string) => {
        for (const [real, link] of links) if (under(dir, link)) return real + dir.slice(link.length);
        return dir;
      };
      const resolve = (args: OnResolveArgs, resolveDir: string) => b.resolve(args.path, { importer: args.importer, kind: args.kind, resolveDir, pluginData: RECURSING });

      b.onResolve({ filter: /^[^./]/, namespace: "file" }, async (args) => {
        if (args.pluginData === RECURSING || path.isAbsolute(args.path)) return undefined;
        // Only a link npm made to a folder outside every node_modules (pnpm's links lead into one, and their real paths name packages well).
        const name = args.path.split("/").slice(0, args.path.startsWith("@") ? 2 : 1).join("/");
        const link = findLink(toReal(args.resolveDir), name);
        if (link === undefined || link.real.split(path.sep).includes("node_modules")) return undefined;
        const result = await resolve(args, toReal(args.resolveDir));
        if (result.errors.length > 0 || result.external || result.namespace !== "file" || !under(result.path, link.real)) return undefined;
        links.set(link.real, link.link);
        return { path: toLink(result.path), sideEffects: result.sideEffects };
      });
      b.onResolve({ filter: /^\.\.?(\/|$)/, namespace: "file" }, async (args) => {
        if (args.pluginData === RECURSING) return undefined;
        const real = toReal(args.resolveDir);
        if (real === args.resolveDir) return undefined;
        const result = await resolve(args, real);
        if (result.errors.length > 0 || result.namespace !== "file") return undefined;
        return { path: toLink(result.path), sideEffects: result.sideEffects };
      });
    },
  };
}

/** `node_modules/<name>` in `dir` or a folder above it, when it is a symbolic link, with the real folder it leads to. */
function findLink(dir: string, name: string): { link: string; real: string } | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const link = path.join(at, "node_modules", name);
    try {
      if (lstatSync(link).isSymbolicLink()) return { link, real: realpathSync(link) };
      return undefined; // a package installed there: the one resolution finds
    } catch {
      // nothing of that name here: look further up
    }
    if (path.dirname(at) === at) return undefined;
  }
}
