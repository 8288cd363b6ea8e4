/**
 * @module guest/web/events
 * The events group of the web globals: `Event`, `CustomEvent`, `EventTarget`.
 */

import { initialised } from "../common/registry.ts";

export { CustomEvent, Event } from "./event.ts";
export { EventTarget } from "./event-target.ts";

initialised("events");
