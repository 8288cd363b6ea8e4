/**
 * @module cli/runtime/log
 * Where tsuki-runtime reports: runc's `--log FILE` and `--log-format text|json`. containerd's
 * shim reads the last `"level":"error"` line of the JSON log after a failed command and shows its
 * `msg` to the user (`ctr`, kubelet events), so every error is one such line, its message led by
 * its stable code; it goes to stderr as well, which the shim also reports. Without --log, the log
 * is stderr.
 */

import { appendFileSync } from "node:fs";
import { TsukiError } from "../../host/common/index.ts";

export type Level = "error" | "warning" | "info";

export interface RuntimeLog {
  write(level: Level, message: string): void;
}

export function openLog(file: string | undefined, format: string | undefined): RuntimeLog {
  if (format !== undefined && format !== "json" && format !== "text") throw new TsukiError("FLAG_VALUE", `--log-format ${JSON.stringify(format)}: the formats are text and json`);
  const json = format === "json";
  const line = (level: Level, message: string) =>
    json ? `${JSON.stringify({ level, msg: message, time: new Date().toISOString() })}\n` : `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(message)}\n`;
  return {
    write(level, message) {
      const text = line(level, message);
      if (file === undefined) return void process.stderr.write(text);
      try {
        appendFileSync(file, text);
      } catch {
        process.stderr.write(text);
        return;
      }
      if (level === "error") process.stderr.write(`tsuki-runtime: ${message}\n`);
    },
  };
}

/** One error as the log carries it: `ERR_CODE: message`, each problem of a TsukiError on its own line. */
export function errorLines(error: TsukiError): string[] {
  return error.problems.map(({ code, message }) => `${code}: ${message}`);
}
