/**
 * @module tsuki/host
 * The host side as a library (`import … from "tsuki/host"`): build an image, read, hash and sign
 * one, read a run configuration, bind devices and boot an image on a tender, and check what this
 * host can give each target (`tsuki doctor`). The `tsuki` command is a client of exactly these
 * entry points (test/architecture.test.ts holds it to them):
 *
 * - `tsuki/host` (this module): build, image, signing, the run specification (RunSpec, from flags
 *   or a run configuration), tender, targets, doctor, OCI images (pack and unpack);
 * - `tsuki/host/common`: errors and their one table of codes, sizes, the version, loading nothing
 *   else (host/common/index.ts);
 * - `tsuki/host/client`: tsukid's client API (host/orchestrator/api/index.ts);
 * - `tsuki/host/daemon`: tsukid itself, started with its options (host/orchestrator/index.ts);
 * - `tsuki/host/pki`: the certificates and policies of tsukid's remote API
 *   (host/orchestrator/pki/index.ts).
 *
 * They are apart because of what each loads: a command that only talks to tsukid does not load the
 * build, and a running daemon holds neither the build, the YAML parser nor the certificate tooling.
 */

export { type BuildOptions, type BuildResult, buildImage } from "./build/build.ts";
export { SRC_ROOT } from "./build/bundle.ts";
export { type Image, loadImage, readImage, sha256 } from "./image/image.ts";
export { type Signature, checkSignature, generateKeys, keyId, parseSignature, privateKey, publicKey, signImage } from "./image/signing.ts";
export { CPU_RANGE_MS, LIMIT_DEFAULTS, MEMORY_RANGE_MB, type BootOptions, Tender } from "./tender/tender.ts";
export { type Binding, type BoundDevice, checkBindings, formatBinding, parseBinding } from "./spec/bindings.ts";
export { type InputPath, type RunSpec, SpecProblem, checkLimits } from "./spec/run-spec.ts";
export { type RunFlags, absoluteBinding, parseArgFlag, runSpecFromFlags } from "./spec/flags.ts";
export { CONSOLE_BURST_RANGE, CONSOLE_RATE_RANGE, type Limits } from "./spec/limits.ts";
export { CONSOLE_DEFAULTS, type ConsoleLimits, checkConsoleLimits } from "./tender/console-limits.ts";
export { terminalSink } from "./tender/console-output.ts";
export { DEFAULT_MAX_CONNECTIONS } from "./tender/devices/listener.ts";
export type { Unikernel } from "./tender/unikernel.ts";
export type { CpuTime } from "./tender/targets/target.ts";
export type { DeviceStats } from "./tender/devices/stats.ts";
export { TARGETS, TARGET_NAMES, type Target, type TargetName } from "./tender/targets/index.ts";
export * from "./config/index.ts";
export { memoryGuard, netDevices, processWalls, proveProcessSandbox } from "./doctor.ts";
export * from "./common/index.ts";
export { type PackedImage, archiveBytes, packImage, writeLayout } from "./oci/pack.ts";
export type { Descriptor } from "./oci/spec.ts";
export { type UnpackOptions, type Unpacked, unpackImage } from "./oci/unpack.ts";
export { type ImageReference, parseReference } from "./oci/reference.ts";
export { runInit } from "./oci/runtime/init.ts";
