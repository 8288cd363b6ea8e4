/**
 * @module host/orchestrator/serve
 * tsukid put together and started (`serveDaemon`): the event log, the descriptor budget, the
 * metrics listener, the daemon brought back from its state directory, the local API on its Unix
 * socket and, with TLS options, the remote API; `stop()` closes them in turn and stops every
 * unikernel (they come back on the next start). `tsuki daemon` reads its flags and calls this;
 * everything it needs is in the options, checked before anything here touches the state.
 */

import type { KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { DaemonError } from "./api/errors.ts";
import { socketPath, stateDir } from "./api/paths.ts";
import { Daemon } from "./control/daemon.ts";
import { loadMetrics } from "./metrics/metrics.ts";
import { type ListenAddress, listenMetrics } from "./metrics/metrics-server.ts";
import { type ApiCaps, ApiConnections } from "./server/api-connections.ts";
import { DescriptorBudget, openDescriptors, reserveFor } from "./supervision/descriptors.ts";
import { API_LIMIT_DEFAULTS, apiHandler } from "./server/http-api.ts";
import { RequestRates } from "./server/request-rate.ts";
import { assertNoDaemon, listenUnix } from "./server/server.ts";
import { type TlsOptions, listenTls } from "./server/tls-listener.ts";
import { keyId } from "../image/signing.ts";
import { EventLog } from "./store/event-log.ts";

export interface ServeOptions {
  /** The state directory as given (undefined: $TSUKI_STATE or the default). */
  readonly state?: string | undefined;
  /** The API's socket (undefined: tsukid.sock in the state directory). */
  readonly socket?: string | undefined;
  /** Append the event log here instead of stdout. */
  readonly events?: string | undefined;
  readonly maxImageBytes: number;
  readonly ringLines: number;
  readonly images: { readonly maxUploads: number; readonly maxTenantUploads: number; readonly tenantBytesPerSecond: number; readonly graceMs: number };
  /** Requests a second one top-level tenant may make of the remote API (bursts of twice that). */
  readonly requestRate: number;
  readonly trustedKeys: readonly KeyObject[];
  readonly caps: ApiCaps;
  /** The remote API, or undefined for the Unix socket alone. */
  readonly tls?: TlsOptions | undefined;
  readonly metrics?: ListenAddress | undefined;
}

export interface ServingDaemon {
  /** Stops serving, stops every unikernel, and closes the event log. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

export async function serveDaemon(options: ServeOptions): Promise<ServingDaemon> {
  const { tls, caps, trustedKeys, requestRate } = options;
  // Everything the daemon writes (database, images, event log, block files it creates) is its user's alone.
  process.umask(0o077);
  const dir = stateDir(options.state);
  const socket = socketPath({ socket: options.socket, state: dir });
  // Before the state is touched: a second daemon must not boot (or collect) anything.
  await assertNoDaemon(socket);
  const log = new EventLog(options.events === undefined ? undefined : path.resolve(options.events));
  log.emit("daemon-started", { pid: process.pid, stateDir: dir, trustedKeys: trustedKeys.map(keyId) });
  // Descriptors for network peers: RLIMIT_NOFILE less what the daemon and its Unix socket keep.
  const budget = DescriptorBudget.forProcess(reserveFor(caps.maxLocalConnections));
  const { limit, reserve } = budget.snapshot();
  log.emit("descriptors", { limit, reserve, forPeers: budget.capacity, openNow: openDescriptors() ?? null });
  if (tls !== undefined && budget.capacity === 0) {
    throw new DaemonError("DESCRIPTORS", `this process may open ${limit} files (RLIMIT_NOFILE) and tsukid keeps ${reserve} of them for itself and its Unix socket, which leaves none for --listen: raise the limit (ulimit -n, LimitNOFILE=) or lower --max-local-connections`);
  }
  const connections = new ApiConnections();
  const tsukid = new Daemon({ stateDir: dir, log, ringLines: options.ringLines, trustedKeys, descriptors: budget, images: options.images });
  const started = Date.now();
  const api = () => ({ descriptors: budget.snapshot(), connections: connections.snapshot() });
  const limits = { ...API_LIMIT_DEFAULTS, maxImageBytes: options.maxImageBytes };
  // Before anything boots: an address in use ends the daemon with nothing started.
  const metrics = options.metrics === undefined ? undefined : await listenMetrics(options.metrics, await loadMetrics({ instances: () => tsukid.instances(), threads: tsukid.threads, api }));
  if (metrics !== undefined) log.emit("metrics-ready", { url: metrics.url });
  await tsukid.restore();
  const server = await listenUnix(socket, apiHandler(tsukid, limits, started), { maxConnections: caps.maxLocalConnections, connections });
  const remote = tls === undefined ? undefined : await listenTls(tls, (callerOf) => apiHandler(tsukid, limits, started, callerOf, new RequestRates(requestRate, 2 * requestRate)), log, { caps, budget, connections });
  if (remote !== undefined) log.emit("tls-listening", { host: tls!.host, port: (remote.address() as AddressInfo).port });
  log.emit("daemon-ready", { pid: process.pid, socket, unikernels: tsukid.count });

  return {
    async stop(signal) {
      log.emit("daemon-stopping", { signal });
      server.close();
      server.closeAllConnections();
      remote?.close();
      remote?.closeAllConnections();
      metrics?.server.close();
      metrics?.server.closeAllConnections();
      await tsukid.shutdown();
      log.emit("daemon-stopped", {});
      log.close();
    },
  };
}
