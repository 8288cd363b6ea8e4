/**
 * @module host/orchestrator/api/paths
 * Where the daemon keeps its state and its socket, for the daemon and the client alike: the state
 * directory is `--state`, else $TSUKI_STATE, else /var/lib/tsuki for root and
 * $XDG_STATE_HOME/tsuki (~/.local/state/tsuki) for anyone else; the socket is `--socket`, else
 * $TSUKI_SOCKET, else `tsukid.sock` in the state directory.
 */

import { homedir } from "node:os";
import path from "node:path";

export const SOCKET_FILE = "tsukid.sock";

export function stateDir(flag?: string): string {
  if (flag !== undefined) return path.resolve(flag);
  if (process.env.TSUKI_STATE) return path.resolve(process.env.TSUKI_STATE);
  if (process.getuid?.() === 0) return "/var/lib/tsuki";
  return path.join(process.env.XDG_STATE_HOME || path.join(homedir(), ".local", "state"), "tsuki");
}

export function socketPath(flags: { socket?: string | undefined; state?: string | undefined }): string {
  if (flags.socket !== undefined) return path.resolve(flags.socket);
  if (flags.state === undefined && process.env.TSUKI_SOCKET) return path.resolve(process.env.TSUKI_SOCKET);
  return path.join(stateDir(flags.state), SOCKET_FILE);
}
