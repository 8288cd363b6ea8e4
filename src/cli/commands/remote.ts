/**
 * @module cli/commands/remote
 * What the commands that talk to tsukid share: the `--socket` and `--state` flags that find the
 * daemon, the client, and the daemon's errors printed the way every tsuki error is
 * (`tsuki: error CODE: message`, one line per problem) with the exit code they carry.
 */

import { DaemonClient } from "../../host/orchestrator/client.ts";
import { DaemonError, RemoteError } from "../../host/orchestrator/errors.ts";
import { socketPath } from "../../host/orchestrator/paths.ts";
import type { Options } from "../args.ts";

export const REMOTE_FLAGS = {
  socket: { type: "string" },
  state: { type: "string" },
} as const satisfies Options;

export const REMOTE_USAGE = `  --socket PATH      the daemon's socket (default $TSUKI_SOCKET, else tsukid.sock in the state directory)
  --state DIR        the daemon's state directory, to find its socket (default $TSUKI_STATE)`;

export function client(values: { socket?: string | undefined; state?: string | undefined }): DaemonClient {
  return new DaemonClient(socketPath(values));
}

/** Runs a client command; a daemon's error becomes its lines on stderr and its exit code. */
export async function reporting(command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (caught) {
    const error = caught instanceof DaemonError ? RemoteError.from(caught) : caught;
    if (!(error instanceof RemoteError)) throw error;
    for (const { code, message } of error.problems) process.stderr.write(`tsuki: error ${code}: ${message}\n`);
    return error.exitCode;
  }
}

/** `key: value` lines, aligned, for people. */
export function printFields(fields: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  for (const [key, value] of Object.entries(fields)) {
    const text = value === null || value === undefined ? "-" : typeof value === "object" ? JSON.stringify(value) : String(value);
    console.log(`${`${key}:`.padEnd(width + 1)} ${text}`);
  }
}
