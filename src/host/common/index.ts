/**
 * @module tsuki/host/common
 * What every part of the host and each of its clients share, loading no part of the host: errors
 * with their one table of codes, sizes as operators write them, the version. The `tsuki` command
 * imports this where it needs no more (its flag parsing, its dispatch), so that a command that
 * only talks to tsukid does not load the build or the tender.
 */

export { ERROR_CODES, type ErrorCodeInfo, type ErrorCodeName, type Problem, TsukiError, isErrorCodeName } from "./errors.ts";
export { formatSize, parseMemoryMb, parseSize } from "./size.ts";
export { TSUKI_VERSION } from "./version.ts";
