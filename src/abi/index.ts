/**
 * @module abi
 * The contract between guest and host, imported by both: the hypercall list, events and boot
 * information, device kinds, error codes, exit codes, the manifest, the packed keys of the crypto
 * calls and the ABI version.
 * Nothing here touches the host or the guest; it is types, constants and pure validation.
 */

export * from "./version.ts";
export * from "./errors.ts";
export * from "./exit.ts";
export * from "./hypercalls.ts";
export * from "./events.ts";
export * from "./devices.ts";
export * from "./origin.ts";
export * from "./manifest.ts";
export * from "./runtime-parts.ts";
export * from "./event-batch.ts";
export * from "./frames.ts";
export * from "./crypto.ts";
