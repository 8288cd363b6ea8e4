/**
 * @module tsuki/host
 * The host side as a library (`import … from "tsuki/host"`): build an image, read one, boot it on
 * a tender with its devices bound, and the run configuration. The `tsuki` command and tsukid are
 * clients of exactly this interface.
 */

export { type BuildOptions, type BuildResult, buildImage } from "./build/build.ts";
export { type Image, loadImage, readImage, sha256 } from "./build/image.ts";
export { CPU_RANGE_MS, LIMIT_DEFAULTS, MEMORY_RANGE_MB, type BootOptions, Tender } from "./tender/tender.ts";
export type { Unikernel } from "./tender/unikernel.ts";
export type { CpuTime } from "./tender/targets/target.ts";
export type { DeviceStats } from "./tender/devices/stats.ts";
export { TARGETS, TARGET_NAMES, type Target, type TargetName } from "./tender/targets/index.ts";
export * from "./config/index.ts";
export { ERROR_CODES, type ErrorCodeInfo, type ErrorCodeName, type Problem, TsukiError } from "./common/errors.ts";
export { TSUKI_VERSION } from "./common/version.ts";
