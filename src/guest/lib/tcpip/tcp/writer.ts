/**
 * @module tcpip/tcp/writer
 * How the transport sends a segment: written straight into the IP layer's buffer (header, then
 * payload copied from the connection's send buffer, then the checksum), with no allocation per
 * segment on the data path: the segment's fields wait in one reused header object, read by one
 * bound fill function, no closure per segment.
 */

import { PROTOCOL_TCP, type TransportContext } from "../seam/ip.ts";
import { ACK, type HeaderFields, emitHeader, fillChecksum, headerLengthFor } from "../wire/tcp.ts";
import type { TcpStats } from "./stats.ts";
import type { Tcb } from "./tcb.ts";

export class SegmentWriter {
  readonly #context: TransportContext;
  readonly #stats: TcpStats;
  // The segment being emitted, read by `#fill`.
  readonly #header: HeaderFields = { sourcePort: 0, destinationPort: 0, seq: 0, ack: 0, flags: 0, window: 0, mss: -1, windowScale: -1, sackPermitted: false, sackBlocks: [], sackCount: 0 };
  #fillTcb: Tcb | undefined;
  #fillFrom = 0;
  #fillLength = 0;
  #fillSource = 0;
  #fillDestination = 0;
  readonly #fill = (buffer: Uint8Array, offset: number): void => {
    const headerLength = emitHeader(buffer, offset, this.#header);
    if (this.#fillLength > 0) this.#fillTcb!.sendBuffer.copyTo(this.#fillFrom, this.#fillLength, buffer, offset + headerLength);
    fillChecksum(buffer, offset, headerLength + this.#fillLength, this.#fillSource, this.#fillDestination);
  };

  constructor(context: TransportContext, stats: TcpStats) {
    this.#context = context;
    this.#stats = stats;
  }

  /** One segment of `tcb` (the transport's `TcbHost.emit`): `length` payload bytes from its send buffer at `from`. */
  segment(tcb: Tcb, seq: number, ack: number, flags: number, window: number, synOptions: boolean, from: number, length: number): void {
    const header = this.#header;
    header.sourcePort = tcb.localPort;
    header.destinationPort = tcb.remotePort;
    header.seq = seq;
    header.ack = flags & ACK ? ack : 0;
    header.flags = flags;
    header.window = window;
    header.mss = synOptions ? tcb.rcvMss : -1;
    header.windowScale = synOptions && tcb.offerWindowScale ? tcb.rcvShift : -1;
    header.sackPermitted = synOptions && tcb.offerSackPermitted;
    header.sackBlocks = tcb.sackBlocks;
    header.sackCount = tcb.sackCount;
    this.#fillTcb = tcb;
    this.#fillFrom = from;
    this.#fillLength = length;
    this.#fillSource = tcb.localAddress;
    this.#fillDestination = tcb.remoteAddress;
    this.#stats.segmentsOut++;
    this.#context.ip.send(tcb.remoteAddress, PROTOCOL_TCP, headerLengthFor(header.mss >= 0, header.windowScale >= 0, header.sackPermitted, false, header.sackCount) + length, this.#fill, tcb.localAddress);
  }

  /** A RST (or RST-ACK) for no connection (RFC 9293 §3.10.7.1), from `local:localPort` to `remote:remotePort`. */
  reset(local: number, localPort: number, remote: number, remotePort: number, seq: number, ack: number, flags: number): void {
    const header = this.#header;
    header.sourcePort = localPort;
    header.destinationPort = remotePort;
    header.seq = seq;
    header.ack = ack;
    header.flags = flags;
    header.window = 0;
    header.mss = -1;
    header.windowScale = -1;
    header.sackPermitted = false;
    header.sackCount = 0;
    this.#fillTcb = undefined;
    this.#fillLength = 0;
    this.#fillSource = local;
    this.#fillDestination = remote;
    this.#stats.resetsSent++;
    this.#stats.segmentsOut++;
    this.#context.ip.send(remote, PROTOCOL_TCP, headerLengthFor(false, false), this.#fill, local);
  }
}
