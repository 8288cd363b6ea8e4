/**
 * @module guest/runtime/core/memory/wasm-sources
 * Where the WebAssembly wrapper (wasm.ts) gets a module's bytes: a copy of a BufferSource, read
 * with the built-ins as they were when the runtime was installed (the JS API compiles a copy,
 * taken when it is called), and the body of a `Response` for the streaming forms, checked as the
 * JS API checks it (application/wasm, ok).
 */

/** A copy of the bytes of a BufferSource (ArrayBuffer, SharedArrayBuffer or a view), read with the built-ins as they were at start-up. */
export function bufferSourceCopier(): (source: unknown, who: string) => Uint8Array {
  const { apply, getOwnPropertyDescriptor } = Reflect;
  const getter = (proto: object, name: string) => getOwnPropertyDescriptor(proto, name)!.get!;
  const typedArray = Object.getPrototypeOf(Uint8Array.prototype) as object;
  const isView = ArrayBuffer.isView;
  const abLength = getter(ArrayBuffer.prototype, "byteLength");
  const sabLength = typeof SharedArrayBuffer === "function" ? getter(SharedArrayBuffer.prototype, "byteLength") : undefined;
  const [taBuffer, taOffset, taLength] = ["buffer", "byteOffset", "byteLength"].map((n) => getter(typedArray, n));
  const [dvBuffer, dvOffset, dvLength] = ["buffer", "byteOffset", "byteLength"].map((n) => getter(DataView.prototype, n));
  const set = (typedArray as { set: Function }).set;
  const U8 = Uint8Array;
  const lengthOf = (buffer: unknown): number | undefined => {
    for (const get of [abLength, sabLength]) {
      try {
        if (get !== undefined) return apply(get, buffer, []) as number;
      } catch {}
    }
    return undefined;
  };
  return (source, who) => {
    let buffer: unknown = source;
    let offset = 0;
    let length = lengthOf(source);
    if (length === undefined && isView(source)) {
      let parts: Function[] = [taBuffer!, taOffset!, taLength!];
      try {
        apply(taBuffer!, source, []);
      } catch {
        parts = [dvBuffer!, dvOffset!, dvLength!];
      }
      [buffer, offset, length] = parts.map((get) => apply(get, source, [])) as [unknown, number, number];
    }
    if (length === undefined) throw new TypeError(`${who}: Argument 0 must be a buffer source`);
    const copy = new U8(length);
    apply(set, copy, [new U8(buffer as ArrayBuffer, offset, length)]);
    return copy;
  };
}

/** The body of a `Response` (or a promise of one) holding a module, checked as the JS API's streaming functions do. */
export async function responseBytes(source: unknown, who: string): Promise<ArrayBuffer> {
  const response = (await source) as { ok?: unknown; headers?: { get?: (name: string) => unknown }; arrayBuffer?: () => Promise<ArrayBuffer> } | null;
  if (typeof response !== "object" || response === null || typeof response.arrayBuffer !== "function") throw new TypeError(`${who}: Argument 0 must be a Response or a promise of one`);
  const type = typeof response.headers?.get === "function" ? response.headers.get("content-type") : null;
  const essence = typeof type === "string" ? type.split(";")[0]!.trim().toLowerCase() : "";
  if (essence !== "application/wasm") throw new TypeError(`${who}: the response's Content-Type must be application/wasm (got ${JSON.stringify(type ?? null)})`);
  if (response.ok === false) throw new TypeError(`${who}: the response's status is not ok`);
  return response.arrayBuffer();
}
