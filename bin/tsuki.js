#!/usr/bin/env -S node --no-node-snapshot --experimental-vm-modules --disable-warning=ExperimentalWarning
// The tsuki command. The flags above are what the tender needs: isolated-vm requires
// --no-node-snapshot, and the unix target evaluates images with vm.SourceTextModule.
// npm scripts put the pinned Node 24 first on PATH; run it elsewhere with `npx tsuki`.

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(`tsuki: error ERR_NODE_VERSION: tsuki needs Node.js 24 or newer, this is ${process.version}: run it through npm, which uses the Node 24 that tsuki pins: npm run tsuki -- <command>\n`);
  process.exit(70);
}
// First of all: tsuki's own .ts files from a cache of their stripped JavaScript, so that Node's
// type stripper (about 16 MiB kept for the life of the process) is not loaded (src/host/loader).
(await import("../src/host/loader/hook.js")).register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
