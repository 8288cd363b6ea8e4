/**
 * @module host/orchestrator/metrics/metrics
 * tsukid's Prometheus metrics (prom-client): per unikernel, labelled by its `name` and its `tenant`
 * (the path of the tenant that created it, "" for the administrator's), whether it is up and in which state, its restarts,
 * CPU seconds, heap, memory limit, open connections, bytes/connections/datagrams/frames/block
 * operations per device, console lines and the lines dropped or cut, by reason; for the daemon, unikernels by state and prom-client's
 * default process metrics (CPU, RSS, heap, file descriptors, event-loop lag, GC); for the API, its
 * descriptor budget (`tsukid_descriptors{state}`: "in_use" by network peers, the "limit" and the
 * "reserve"; prom-client's process_open_fds counts every descriptor), its connections by kind
 * and those it refused, by reason (api-connections.ts).
 *
 * Everything is read from the daemon's instances when Prometheus scrapes (prom-client `collect`
 * callbacks), never sampled on a timer; the one exception is prom-client's event-loop-lag metric,
 * which Node measures continuously (perf_hooks.monitorEventLoopDelay). What a unikernel uses is
 * asked of its tender thread once per scrape (`Instance.sample`, all instances at once, shared by
 * every family); a thread inside a long guest turn does not hold the scrape up: its unikernels'
 * series carry the last figures it sent, and `tsuki_unikernel_stats_stale` is 1 for them. Counters
 * are summed over every boot since the daemon started, so they never go back across restarts.
 *
 * prom-client is loaded only by a daemon started with --metrics (`loadMetrics`).
 */

import type * as PromClient from "prom-client";
import type { Instance, InstanceState } from "../supervision/instance.ts";
import { type ConnectionCounts, REFUSAL_REASONS } from "../server/api-connections.ts";
import type { DescriptorSnapshot } from "../supervision/descriptors.ts";
import type { Sample } from "../supervision/usage.ts";

/** What the metrics read: the daemon's instances, its tender threads and its API's connections, now. */
export interface MetricsSource {
  instances(): Iterable<Instance>;
  readonly threads?: { readonly size: number };
  api?(): { descriptors: DescriptorSnapshot; connections: ConnectionCounts };
}

export const INSTANCE_STATES: readonly InstanceState[] = ["starting", "running", "backoff", "exited", "failed", "stopped"];

/** The labels that name a unikernel in every per-unikernel series. */
export function unikernelLabels(instance: Instance): { name: string; tenant: string } {
  return { name: instance.spec.name, tenant: instance.tenant };
}

/** A registry of tsukid's metrics, reading `source` on every scrape. */
export function tsukidRegistry(prom: typeof PromClient, source: MetricsSource, options: { defaultMetrics?: boolean } = {}): PromClient.Registry {
  const registry = new prom.Registry();
  if (options.defaultMetrics !== false) prom.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const u = ["name", "tenant"] as const;
  const d = ["name", "tenant", "device", "kind"] as const;

  type Fill<L extends string> = (put: (labels: Record<L, string>, value: number) => void) => void | Promise<void>;
  /** The values `fill` gives, gathered before any is set: a fill may wait for the scrape's samples. */
  const gathered = async <L extends string>(fill: Fill<L>) => {
    const values: [PromClient.LabelValues<L>, number][] = [];
    await fill((labels, value) => values.push([labels as PromClient.LabelValues<L>, value]));
    return values;
  };
  /** A gauge whose values are all set on each scrape. */
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: Fill<L>) =>
    new prom.Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const values = await gathered(fill);
        this.reset();
        for (const [labels, value] of values) this.set(labels, value);
      },
    });
  /** A counter whose totals (kept by the instances) are copied on each scrape. */
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: Fill<L>) =>
    new prom.Counter({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const values = await gathered(fill);
        this.reset();
        for (const [labels, value] of values) this.inc(labels, Math.max(0, value));
      },
    });

  const each = (f: (i: Instance) => void) => {
    for (const instance of source.instances()) f(instance);
  };
  /**
   * Every instance's sample, asked once per scrape: prom-client calls every family's `collect` in
   * one tick, and they all share this promise.
   */
  let scrape: Promise<[Instance, Sample][]> | undefined;
  const samples = () => {
    if (scrape === undefined) {
      const instances = [...source.instances()];
      const taken = (scrape = Promise.all(instances.map(async (i) => [i, await i.sample()] as [Instance, Sample])));
      void taken.finally(() => {
        if (scrape === taken) scrape = undefined;
      });
    }
    return scrape;
  };
  const eachSample = async (f: (i: Instance, s: Sample) => void) => {
    for (const [i, s] of await samples()) f(i, s);
  };
  /** Each device's totals, with its instance's labels. */
  const eachDevice = (f: (labels: { name: string; tenant: string; device: string; kind: string }, totals: Readonly<Record<string, number | string>>) => void) =>
    eachSample((i, s) => {
      for (const [device, totals] of Object.entries(s.usage.devices)) f({ ...unikernelLabels(i), device, kind: totals.kind }, totals);
    });
  const num = (value: unknown) => (typeof value === "number" ? value : undefined);

  if (source.threads !== undefined) {
    const threads = source.threads;
    gauge("tsuki_tender_threads", "Tender threads running now: one per tenant with unikernels (each a Node worker thread of several MiB).", [], (set) => set({}, threads.size));
  }
  gauge("tsuki_unikernels", "Unikernels on this daemon, by state.", ["state"], (set) => {
    const counts = new Map<string, number>(INSTANCE_STATES.map((s) => [s, 0]));
    each((i) => counts.set(i.state, (counts.get(i.state) ?? 0) + 1));
    for (const [state, n] of counts) set({ state }, n);
  });
  gauge("tsuki_unikernel_up", "1 if the unikernel is running, else 0.", u, (set) => each((i) => set(unikernelLabels(i), i.state === "running" ? 1 : 0)));
  gauge("tsuki_unikernel_state", "The unikernel's state (one series, value 1, labelled with the current state).", ["name", "tenant", "state"], (set) => each((i) => set({ ...unikernelLabels(i), state: i.state }, 1)));
  counter("tsuki_unikernel_restarts_total", "Times the daemon booted the unikernel again by its restart policy.", u, (add) => each((i) => add(unikernelLabels(i), i.restarts)));
  counter("tsuki_unikernel_cpu_seconds_total", "CPU time the unikernel used, every boot since the daemon started (isolate target: V8's time in its isolate; process target: its sandboxed processes).", u, (add) =>
    eachSample((i, s) => add(unikernelLabels(i), s.usage.cpuMs / 1000)),
  );
  gauge("tsuki_unikernel_stats_stale", "1 if this scrape's figures of the unikernel (CPU, heap, connections, devices) are the last its tender thread sent, the thread being inside a long guest turn; else 0.", u, (set) =>
    eachSample((i, s) => set(unikernelLabels(i), s.stale ? 1 : 0)),
  );
  gauge("tsuki_unikernel_memory_used_bytes", "Memory the running unikernel uses as its limit counts it: V8 heap, external memory (ArrayBuffers, committed wasm memory, charged wasm code and Intl objects) and reservations (wasm memories up to their maximum, resizable buffers).", u, (set) =>
    eachSample((i, s) => {
      const memory = s.boot?.memory;
      if (memory) set(unikernelLabels(i), memory.used);
    }),
  );
  gauge("tsuki_unikernel_memory_bytes", 'The parts of tsuki_unikernel_memory_used_bytes: part="heap", "external" or "reserved".', [...u, "part"], (set) =>
    eachSample((i, s) => {
      const memory = s.boot?.memory;
      if (memory) for (const part of ["heap", "external", "reserved"] as const) set({ ...unikernelLabels(i), part }, memory[part]);
    }),
  );
  gauge("tsuki_unikernel_heap_used_bytes", "V8 heap the running unikernel uses (part of tsuki_unikernel_memory_used_bytes).", u, (set) =>
    eachSample((i, s) => {
      const heap = s.boot?.heap;
      if (heap) set(unikernelLabels(i), heap.used);
    }),
  );
  gauge("tsuki_unikernel_heap_limit_bytes", "The running unikernel's memory limit as its tender applies it (--mem).", u, (set) =>
    eachSample((i, s) => {
      const heap = s.boot?.heap;
      if (heap) set(unikernelLabels(i), heap.limit);
    }),
  );
  gauge("tsuki_unikernel_memory_limit_bytes", "The memory limit the unikernel was created with (--mem).", u, (set) => each((i) => set(unikernelLabels(i), i.spec.memoryMb * 2 ** 20)));
  gauge("tsuki_unikernel_connections", "Connections open now, per listener or connector device.", d, (set) =>
    eachSample((i, s) => {
      for (const [device, d] of Object.entries(s.boot?.devices ?? {})) if ("connections" in d) set({ ...unikernelLabels(i), device, kind: d.kind }, d.connections);
    }),
  );
  counter("tsuki_unikernel_device_connections_total", "Connections accepted (listener) or opened (connector).", d, (add) =>
    eachDevice((labels, t) => {
      const n = num(t.connectionsTotal);
      if (n !== undefined) add(labels, n);
    }),
  );
  counter("tsuki_unikernel_device_bytes_total", 'Bytes a device carried; direction "in" is towards the unikernel (received, read from a block device), "out" from it (sent, written).', [...d, "direction"], (add) =>
    eachDevice((labels, t) => {
      add({ ...labels, direction: "in" }, num(t.bytesIn) ?? 0);
      add({ ...labels, direction: "out" }, num(t.bytesOut) ?? 0);
    }),
  );
  counter("tsuki_unikernel_device_datagrams_total", "Datagrams a udp device received (in) and sent (out).", [...d, "direction"], (add) =>
    eachDevice((labels, t) => {
      if (t.kind !== "udp") return;
      add({ ...labels, direction: "in" }, num(t.datagramsIn) ?? 0);
      add({ ...labels, direction: "out" }, num(t.datagramsOut) ?? 0);
    }),
  );
  counter("tsuki_unikernel_device_frames_total", "Frames a net device received (in) and sent (out).", [...d, "direction"], (add) =>
    eachDevice((labels, t) => {
      if (t.kind !== "net") return;
      add({ ...labels, direction: "in" }, num(t.framesIn) ?? 0);
      add({ ...labels, direction: "out" }, num(t.framesOut) ?? 0);
    }),
  );
  counter("tsuki_unikernel_device_dropped_total", "Datagrams (udp, arriving to a full queue) or frames (net, from the guest) dropped.", d, (add) =>
    eachDevice((labels, t) => {
      const n = num(t.dropped) ?? num(t.dropsOut);
      if (n !== undefined) add(labels, n);
    }),
  );
  counter("tsuki_unikernel_device_block_operations_total", "Block device reads, writes and flushes.", [...d, "op"], (add) =>
    eachDevice((labels, t) => {
      if (t.kind !== "block") return;
      add({ ...labels, op: "read" }, num(t.reads) ?? 0);
      add({ ...labels, op: "write" }, num(t.writes) ?? 0);
      add({ ...labels, op: "flush" }, num(t.flushes) ?? 0);
    }),
  );
  counter("tsuki_unikernel_console_lines_total", "Console lines the unikernel wrote (all boots).", u, (add) => each((i) => add(unikernelLabels(i), i.ring.total)));
  counter(
    "tsuki_unikernel_console_dropped_total",
    'Console lines dropped: "rate" by the tender, over the unikernel\'s console rate and burst; "backlog" by the tender, its reader (the daemon) behind; "ring" from the ring buffer, the oldest past its lines or bytes (they were written).',
    [...u, "reason"],
    (add) =>
      eachSample((i, s) => {
        add({ ...unikernelLabels(i), reason: "rate" }, s.usage.console.droppedRate);
        add({ ...unikernelLabels(i), reason: "backlog" }, s.usage.console.droppedBacklog);
        add({ ...unikernelLabels(i), reason: "ring" }, i.ring.dropped);
      }),
  );
  counter("tsuki_unikernel_console_truncated_total", "Console lines the tender cut at 16 KiB (all boots).", u, (add) => eachSample((i, s) => add(unikernelLabels(i), s.usage.console.truncated)));
  const api = source.api?.bind(source);
  if (api !== undefined) {
    gauge("tsukid_descriptors", 'The descriptor budget: "in_use" by network peers, the "limit" (RLIMIT_NOFILE) and the "reserve" kept for the Unix socket and the daemon.', ["state"], (set) => {
      const { inUse, limit, reserve } = api().descriptors;
      set({ state: "in_use" }, inUse);
      set({ state: "limit" }, limit);
      set({ state: "reserve" }, reserve);
    });
    gauge("tsukid_api_connections", "Connections to the API now: remote ones not yet authenticated, tenants' (authenticated), and the Unix socket's (local).", ["kind"], (set) => {
      const c = api().connections;
      for (const kind of ["unauthenticated", "authenticated", "local"] as const) set({ kind }, c[kind]);
    });
    counter("tsukid_api_connections_refused_total", "Connections the API closed at once or before they authenticated, by the cap or timeout that refused them.", ["reason"], (add) => {
      const { refused } = api().connections;
      for (const reason of REFUSAL_REASONS) add({ reason }, refused[reason]);
    });
  }
  return registry;
}

/** prom-client, loaded when first needed (a daemon without --metrics never loads it). */
export async function loadMetrics(source: MetricsSource): Promise<PromClient.Registry> {
  const prom = await import("prom-client");
  // A CommonJS module: its exports are the default export.
  return tsukidRegistry(prom.default as unknown as typeof PromClient, source);
}
