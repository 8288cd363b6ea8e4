/**
 * @module host/orchestrator/supervision/image-check-entry
 * Where the image-check thread starts (image-check.ts). As for a tender thread
 * (tender-worker-entry.js), tsuki's module hook is registered first: hooks apply only to the thread
 * that registered them.
 */

(await import("../../loader/hook.js")).register();
await import("./image-check-worker.ts");
