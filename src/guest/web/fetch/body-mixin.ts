/**
 * @module guest/web/fetch/body-mixin
 * What `Request` and `Response` share (Fetch Standard §5.3, the Body mixin): `body`, `bodyUsed`
 * and the readers `arrayBuffer`, `blob`, `bytes`, `formData`, `json` and `text`, each reading the
 * body once. The readers look at the headers the object was made with, not at a getter a subclass
 * could override.
 */

import { enumerable } from "../common/webidl.ts";
import { type BodySource, consume, isUsed, readAs, streamOf } from "./body.ts";
import type { Headers } from "./headers.ts";
import type { Blob, FormData } from "../file/index.ts";
import type { ReadableStream } from "../common/types.ts";

interface Holder {
  source: BodySource | null;
  headers: Headers;
}

let holderOf: (body: Body) => Holder;

export class Body {
  #holder: Holder = { source: null, headers: undefined as unknown as Headers };

  static {
    holderOf = (body) => {
      if (typeof body !== "object" || body === null || !(#holder in body)) throw new TypeError("Illegal invocation: not a Request or Response");
      return body.#holder;
    };
  }

  get body(): ReadableStream<Uint8Array> | null {
    return streamOf(holderOf(this)) as ReadableStream<Uint8Array> | null;
  }

  get bodyUsed(): boolean {
    return isUsed(holderOf(this).source);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await consume(holderOf(this).source)).buffer;
  }

  async blob(): Promise<Blob> {
    const holder = holderOf(this);
    return readAs.blob(await consume(holder.source), holder.headers.get("content-type"));
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return consume(holderOf(this).source);
  }

  async formData(): Promise<FormData> {
    const holder = holderOf(this);
    return readAs.formData(await consume(holder.source), holder.headers.get("content-type"));
  }

  // `any`, as in the DOM typings: the caller knows the shape it expects.
  async json(): Promise<any> {
    return readAs.json(await consume(holderOf(this).source));
  }

  async text(): Promise<string> {
    return readAs.text(await consume(holderOf(this).source));
  }
}

enumerable(Body, ["body", "bodyUsed", "arrayBuffer", "blob", "bytes", "formData", "json", "text"]);

/** @internal The body's state, for its own class: set once in a constructor, then read. */
export function bodyHolder(body: Body): Holder {
  return holderOf(body);
}

/**
 * WebIDL puts a mixin's members on each interface's own prototype: copies them onto `target`'s
 * and takes `Body.prototype` out of its chain (instances still get their state from `Body`'s
 * constructor, which `super()` reaches through the constructor's own prototype).
 */
export function includeBody(target: { prototype: object }): void {
  for (const key of Reflect.ownKeys(Body.prototype)) {
    if (key === "constructor") continue;
    Object.defineProperty(target.prototype, key, Reflect.getOwnPropertyDescriptor(Body.prototype, key)!);
  }
  Object.setPrototypeOf(target.prototype, Object.prototype);
}
