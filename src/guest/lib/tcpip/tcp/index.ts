/**
 * @module tsuki/tcpip/tcp
 * TCP (RFC 9293) for the in-guest TCP/IP stack: `Tcp` is the transport the IPv4 layer hands
 * segments to; its `listen` and `connect` give the SDK's `Listener` and `Connection`, so
 * `tsuki/http`'s `serve` and `tsuki/dns`'s `serveTcp` run on it unchanged.
 *
 * ```ts
 * const tcp = new Tcp(context, { congestionControl: "cubic" });
 * const listener = tcp.listen(80);
 * for await (const connection of listener) …
 * const connection = await tcp.connect("10.0.0.1", 5432);
 * ```
 */

export { Tcp, type ConnectOptions, type ListenOptions } from "./transport.ts";
export { TcpListener } from "./listener.ts";
export { TcpConnection } from "./socket.ts";
export type { TcpOptions, KeepAliveOptions } from "./options.ts";
export type { TcpStats, TcpDrops } from "./stats.ts";
export type { CongestionController, CongestionControlName } from "./congestion.ts";
export { State as TcpState, STATE_NAMES as TCP_STATE_NAMES } from "./state.ts";
export type { SystemError } from "../../../sdk/errors.ts";
