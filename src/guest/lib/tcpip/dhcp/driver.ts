/**
 * @module tcpip/dhcp/driver
 * The impure shell around the clock-free `DhcpClient`: it binds UDP port 68 on a stack (the raw
 * binding that receives broadcasts and sends from 0.0.0.0 before an address exists), hands the
 * client what arrives from port 67, runs it on one timer armed for the deadline `poll` returned,
 * and configures the stack with each lease (and unconfigures it when the lease is lost).
 *
 * ```ts
 * const stack = Stack.start(eth);                       // unconfigured
 * const dhcp = startDhcp(stack, { hostname: "web" });
 * const lease = await dhcp.bound;                       // the stack now has the address
 * const resolver = new Resolver({ udp: stack.udp(), servers: lease.dns });
 * ```
 *
 * `Stack` fits `DhcpHost` as it is; any host with the same few members does (the tests use a
 * fake one). Timers longer than setTimeout's 2^31−1 ms limit (a lease of weeks) are re-armed in
 * steps rather than firing at once.
 */

import { loopTime } from "../../../sdk/clock.ts";
import { DHCP_SERVER_PORT, DHCP_CLIENT_PORT, DhcpClient, type DhcpClientOptions, type DhcpEvent, type Lease } from "./client.ts";

/** What the driver needs of a `Stack`. */
export interface DhcpHost {
  readonly mac: Uint8Array;
  readonly layers: {
    readonly udp: {
      bindRaw(
        port: number,
        handler: (now: number, source: number, sourcePort: number, destination: number, payload: Uint8Array) => void,
      ): { send(payload: Uint8Array, destination: number, destinationPort: number, source?: number): boolean; close(): void };
    };
  };
  configure(config: { address: number; prefixLength: number; gateway?: number }): void;
  unconfigure(): void;
}

export interface DhcpDriverOptions {
  readonly hostname?: string;
  readonly clientId?: Uint8Array;
  readonly previousAddress?: number;
  readonly broadcastFlag?: boolean;
  readonly onLease?: (lease: Lease | undefined) => void;
  readonly onEvent?: (event: DhcpEvent) => void;
  /** The loop clock in ms; default `loopTime()`. */
  readonly clock?: () => number;
  /** Default `crypto.getRandomValues`. */
  readonly random?: (bytes: Uint8Array) => void;
}

export interface DhcpDriver {
  readonly client: DhcpClient;
  /** The lease in use, if any. */
  readonly lease: Lease | undefined;
  /** Resolves with the first lease (at once if there is one). */
  readonly bound: Promise<Lease>;
  /** DHCPRELEASE if bound, unconfigure the stack, close port 68 and stop the timer. */
  release(): void;
}

/** setTimeout takes at most 2^31−1 ms (a longer delay fires at once): arm in steps up to that. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function startDhcp(host: DhcpHost, options: DhcpDriverOptions = {}): DhcpDriver {
  const clock = options.clock ?? loopTime;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let configured: { address: number; prefixLength: number; gateway: number | undefined } | undefined;
  let resolveBound: (lease: Lease) => void = () => {};
  const bound = new Promise<Lease>((resolve) => (resolveBound = resolve));

  const binding = host.layers.udp.bindRaw(DHCP_CLIENT_PORT, (now, source, sourcePort, _destination, payload) => {
    if (stopped || sourcePort !== DHCP_SERVER_PORT) return;
    client.input(now, payload, source);
    schedule();
  });

  const clientOptions: DhcpClientOptions = {
    mac: host.mac,
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
    ...(options.previousAddress !== undefined ? { previousAddress: options.previousAddress } : {}),
    ...(options.broadcastFlag !== undefined ? { broadcastFlag: options.broadcastFlag } : {}),
    random: options.random ?? ((bytes) => void crypto.getRandomValues(bytes)),
    send: (payload, destination, source) => void binding.send(payload, destination, DHCP_SERVER_PORT, source),
    onLease: (lease) => {
      if (lease) {
        const next = { address: lease.address, prefixLength: lease.prefixLength, gateway: lease.gateway };
        // A renewal of the same lease changes nothing on the stack (no gratuitous ARP again).
        if (!configured || configured.address !== next.address || configured.prefixLength !== next.prefixLength || configured.gateway !== next.gateway) {
          host.configure(next.gateway === undefined ? { address: next.address, prefixLength: next.prefixLength } : next);
          configured = next;
        }
        resolveBound(lease);
      } else if (configured) {
        host.unconfigure();
        configured = undefined;
      }
      options.onLease?.(lease);
    },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  };
  const client = new DhcpClient(clientOptions);

  function schedule(): void {
    if (stopped) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const now = clock();
    const next = client.poll(now);
    if (next === Infinity) return;
    timer = setTimeout(schedule, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(next - now))));
  }

  client.start(clock());
  schedule();
  return {
    client,
    get lease() {
      return client.lease;
    },
    bound,
    release() {
      if (stopped) return;
      client.release(clock());
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      binding.close();
    },
  };
}
