/**
 * @module host/oci/runtime
 * The public entry of tsuki-runtime's host side (package export `tsuki/host/runtime`): the bundle
 * parser, the container store and the lifecycle commands. It loads no tender, so that `state`,
 * `kill` and `delete`, which the shim calls often, start fast; the init process's `runInit`,
 * which boots the unikernel, comes from the main entry (`tsuki/host`).
 */

export { type Bundle, DEFAULT_RUNTIME_TARGET, RUNTIME_ANNOTATION, parseBundleConfig, readBundle } from "./bundle.ts";
export { type CreateOptions, checkBundle, createContainer, deleteContainer, killContainer, parseSignal, startContainer } from "./lifecycle.ts";
export { type ContainerRecord, ContainerStore, DEFAULT_ROOT, type Status, containerPids, ociState } from "./state.ts";
