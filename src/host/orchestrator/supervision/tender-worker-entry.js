/**
 * @module host/orchestrator/supervision/tender-worker-entry
 * Where a tender thread starts (`new Worker(...)` in tender-thread.ts). Module hooks registered
 * with `module.registerHooks` apply only to the thread that registered them, so this thread
 * registers tsuki's own (src/host/loader/hook.js: our .ts files from a cache of their stripped
 * JavaScript) before it loads any TypeScript, as bin/tsuki.js does on the main thread; without
 * it every tender thread would load Node's type stripper (about 16 MiB each). It works the same
 * when the main thread has no hook (the test runner, which strips types itself): the hook steps
 * aside when its cache cannot be used, and Node strips the files. Plain JavaScript, since it runs
 * before any .ts file can be loaded the cheap way.
 */

(await import("../../loader/hook.js")).register();
await import("./tender-worker.ts");
