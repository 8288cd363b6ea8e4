/**
 * @module host/orchestrator/store/event-log
 * The daemon's structured event log: one JSON object per line for every lifecycle change
 * (daemon-started, created, started, exited, restarting (by its policy), restarted (by the
 * operator), failed, destroyed, block-created, block-destroyed, …), each with the time, the event
 * and the unikernel's (or block volume's) name — or, for a tender thread's start, end or failure,
 * its tenant — written synchronously so that the order on disk is the order things happened. To
 * stdout by default, or appended to a file. Events a peer without a certificate can cause
 * (`tls-refused`) are rate-limited (event-limiter.ts).
 */

import { closeSync, openSync, writeSync } from "node:fs";

export type LifecycleEvent =
  | "daemon-started"
  | "daemon-ready"
  | "daemon-stopping"
  | "daemon-stopped"
  | "restored"
  | "created"
  | "create-failed"
  | "started"
  | "exited"
  | "restarting"
  | "restarted"
  | "metrics-ready"
  | "failed"
  | "destroyed"
  | "image-stored"
  | "images-collected"
  | "restore-refused"
  | "block-created"
  | "block-destroyed"
  | "block-files-removed"
  | "block-files-missing"
  | "state-migrated"
  | "tls-listening"
  | "tls-accepted"
  | "tls-refused"
  | "tls-refused-suppressed"
  | "descriptors"
  | "tender-thread-started"
  | "tender-thread-ended"
  | "tender-thread-failed"
  | "tender-thread-priority";

export class EventLog {
  #fd: number | undefined;

  /** `target`: a file path, or "-" (or nothing) for stdout. */
  constructor(target?: string) {
    this.#fd = target === undefined || target === "-" ? undefined : openSync(target, "a", 0o600);
  }

  emit(event: LifecycleEvent, fields: Record<string, unknown> = {}): void {
    const line = `${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`;
    if (this.#fd === undefined) process.stdout.write(line);
    else writeSync(this.#fd, line);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
