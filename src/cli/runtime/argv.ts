/**
 * @module cli/runtime/argv
 * runc's command line as Go's flag packages spell it: global flags before the command
 * (`--root DIR`, `--log FILE`, `--log-format json`, also `-root` and `--root=DIR`), then the
 * command, its flags and its positionals in any order. Flags runc has that change nothing for a
 * unikernel (--systemd-cgroup, --debug, --no-pivot, …) are accepted and ignored, so that the shim
 * can pass them; any other is refused.
 */

import { TsukiError } from "../../host/common/index.ts";

export interface FlagSpec {
  /** Flags that take a value, by name without dashes; aliases map to the name. */
  readonly values: Readonly<Record<string, string>>;
  /** Flags that take none. */
  readonly booleans: Readonly<Record<string, string>>;
}

export interface Parsed {
  readonly values: Record<string, string>;
  readonly booleans: Set<string>;
  readonly positionals: string[];
}

export const GLOBAL_FLAGS: FlagSpec = {
  values: { root: "root", log: "log", "log-format": "log-format", criu: "ignored", rootless: "ignored" },
  booleans: { debug: "ignored", "systemd-cgroup": "ignored", help: "help", h: "help", version: "version", v: "version" },
};

export const COMMAND_FLAGS: Readonly<Record<string, FlagSpec>> = {
  create: {
    values: { bundle: "bundle", b: "bundle", "pid-file": "pid-file", "console-socket": "console-socket", "preserve-fds": "ignored", "notify-socket": "ignored" },
    booleans: { "no-pivot": "ignored", "no-new-keyring": "ignored", help: "help" },
  },
  start: { values: {}, booleans: { help: "help" } },
  state: { values: {}, booleans: { help: "help" } },
  kill: { values: {}, booleans: { all: "all", a: "all", help: "help" } },
  delete: { values: {}, booleans: { force: "force", f: "force", help: "help" } },
  ps: { values: { format: "format", f: "format" }, booleans: { help: "help" } },
  features: { values: {}, booleans: { help: "help" } },
  init: { values: {}, booleans: {} },
};

/**
 * Reads flags from `argv` until the first positional when `stopAtPositional` (the global flags,
 * which end at the command), else all of it; returns what it read and the rest.
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec, where: string, stopAtPositional: boolean): Parsed & { rest: string[] } {
  const values: Record<string, string> = {};
  const booleans = new Set<string>();
  const positionals: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      i = argv.length;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (stopAtPositional) break;
      positionals.push(arg);
      continue;
    }
    const text = arg.replace(/^--?/, "");
    const eq = text.indexOf("=");
    const name = eq < 0 ? text : text.slice(0, eq);
    const valueName = spec.values[name];
    const booleanName = spec.booleans[name];
    if (valueName !== undefined) {
      const value = eq < 0 ? argv[++i] : text.slice(eq + 1);
      if (value === undefined) throw new TsukiError("MISSING_ARGUMENT", `${where}: flag -${name.length > 1 ? "-" : ""}${name} needs a value`);
      values[valueName] = value;
    } else if (booleanName !== undefined) {
      if (eq >= 0 && !/^(true|false)$/.test(text.slice(eq + 1))) throw new TsukiError("FLAG_VALUE", `${where}: flag ${arg} takes true or false`);
      if (eq < 0 || text.slice(eq + 1) === "true") booleans.add(booleanName);
    } else {
      throw new TsukiError("UNKNOWN_FLAG", `${where}: unknown flag ${arg}`);
    }
  }
  return { values, booleans, positionals, rest: argv.slice(i) };
}
