/**
 * @module tsuki/host/client
 * tsukid's client API: the client (over the Unix socket, or mutual TLS to a remote daemon), where
 * this host's daemon keeps its socket, the errors an answer turns into, the wire types of its
 * answers and the vocabulary of its requests (names, targets, priorities, restart policies). The
 * `tsuki` commands that talk to a daemon import this and the shared errors (`tsuki/host/common`),
 * nothing else of the orchestrator.
 */

export { type CreateRequest, DaemonClient, REMOTE_SOCKETS, type RemoteTarget } from "./client.ts";
export { DaemonError, ERROR_LIMITS, type ErrorBody, RemoteError } from "./errors.ts";
export { SOCKET_FILE, socketPath, stateDir } from "./paths.ts";
export { CHAIN_HEADER } from "./wire.ts";
export type { InstanceInfo, InstanceStats, RingLine, VolumeInfo } from "./info.ts";
export { DAEMON_TARGETS, type DaemonTarget, NAME_LABEL, PRIORITY_RANGE, RESTART_POLICIES, type RestartPolicy, type UnikernelSpec, checkName } from "./spec.ts";
