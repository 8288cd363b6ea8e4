/**
 * @module cli/support/remote
 * What the commands that talk to tsukid share: the flags that find the daemon — `--socket` and
 * `--state` for this host's daemon, or `--remote https://HOST:PORT` with `--cert`, `--key` and
 * `--ca` for a remote one over mutual TLS (each also from $TSUKI_REMOTE, $TSUKI_CERT, $TSUKI_KEY,
 * $TSUKI_CA) — the client, and the daemon's errors printed the way every tsuki error is
 * (`tsuki: error CODE: message`, one line per problem) with the exit code they carry. The
 * clients a command made are closed when it ends (a remote client keeps its TLS connections
 * alive), so that tsuki exits as soon as it is done.
 */

import { readFileSync } from "node:fs";
import { TsukiError } from "../../host/common/index.ts";
import { DaemonClient, DaemonError, RemoteError, socketPath } from "../../host/orchestrator/api/index.ts";
import type { Options } from "./args.ts";

export const REMOTE_FLAGS = {
  socket: { type: "string" },
  state: { type: "string" },
  remote: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  ca: { type: "string" },
} as const satisfies Options;

export const REMOTE_USAGE = `  --socket PATH      the daemon's socket (default $TSUKI_SOCKET, else tsukid.sock in the state directory)
  --state DIR        the daemon's state directory, to find its socket (default $TSUKI_STATE)
  --remote URL       a remote tsukid instead, over mutual TLS: https://HOST:PORT ($TSUKI_REMOTE),
                     as a tenant with --cert client.pem --key client.key --ca ca.pem
                     ($TSUKI_CERT, $TSUKI_KEY, $TSUKI_CA; tsuki cert issue writes all three)`;

export interface ClientFlags {
  socket?: string | undefined;
  state?: string | undefined;
  remote?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
}

/** Whether the command talks to a remote daemon (then names and block files are the tenant's). */
export function isRemote(values: ClientFlags): boolean {
  return (values.remote ?? (values.socket === undefined && values.state === undefined ? process.env.TSUKI_REMOTE : undefined)) !== undefined;
}

/** The clients made by the running command, closed by `reporting` when it ends. */
const open = new Set<DaemonClient>();

export function client(values: ClientFlags): DaemonClient {
  if (!isRemote(values)) return new DaemonClient(socketPath(values));
  const url = values.remote ?? process.env.TSUKI_REMOTE!;
  if (!/^https:\/\/[^/?#]+\/?$/.test(url)) throw new TsukiError("FLAG_VALUE", `--remote ${JSON.stringify(url)} is not https://HOST:PORT: write e.g. --remote https://host.example:8443`);
  const file = (flag: "cert" | "key" | "ca", env: string, what: string) => {
    const path = values[flag] ?? process.env[env];
    if (path === undefined) throw new TsukiError("MISSING_ARGUMENT", `--remote needs --${flag} (or $${env}): ${what}`);
    try {
      return readFileSync(path);
    } catch (error) {
      throw new TsukiError("FLAG_VALUE", `--${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${what}`);
    }
  };
  const remote = new DaemonClient({
    url,
    cert: file("cert", "TSUKI_CERT", "your client certificate chain, client.pem from tsuki cert issue"),
    key: file("key", "TSUKI_KEY", "your client key, client.key from tsuki cert issue"),
    ca: file("ca", "TSUKI_CA", "the CA the daemon's certificate is issued by, ca.pem from tsuki cert issue"),
  });
  open.add(remote);
  return remote;
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
  } finally {
    for (const c of open) c.close();
    open.clear();
  }
}
