/**
 * @module host/tender/devices/events
 * How device backends hand events to their unikernel. A backend either posts a finished event
 * (an accept) or marks itself ready and produces its events when the next turn is assembled (a
 * connection's data, end and close), so that bytes wait in one bounded place per connection and
 * events keep the order in which they became ready.
 */

import type { GuestEvent } from "../../../abi/index.ts";

export interface EventSource {
  /** Appends this source's pending events to `out`. */
  drain(out: GuestEvent[]): void;
}

export interface EventSink {
  post(event: GuestEvent): void;
  ready(source: EventSource): void;
}
