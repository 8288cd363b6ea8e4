/**
 * @module host/config
 * The run configuration: a YAML file whose tags create capabilities (`tsuki run --config
 * run.yaml`), checked with every mistake located, and laid under the command line's flags. Its
 * JSON Schema, for editors, is schema/run-config.schema.json.
 */

export { CONFIG_KEYS, type ParseOptions, type RunConfig, loadRunConfig, parseRunConfig } from "./config.ts";
export { applyCommandLine } from "./overrides.ts";
export { type ConfigCode, ConfigError, type ConfigProblem } from "./problems.ts";
export { DEVICE_TAGS, DEVICE_TAG_NAMES } from "./tags.ts";
