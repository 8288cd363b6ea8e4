/**
 * @module guest/runtime/web/subtle/key
 * `CryptoKey`: what a key is (type, extractable, algorithm, usages) and its material, a packed
 * key (abi/crypto.ts) kept in a slot that guest code cannot reach (a WeakMap of this module's).
 * Keys are made only here; `new CryptoKey()` is a TypeError, as in browsers.
 */

import { fail } from "./errors.ts";

export type KeyType = "secret" | "public" | "private";
export type KeyUsage = "encrypt" | "decrypt" | "sign" | "verify" | "deriveKey" | "deriveBits" | "wrapKey" | "unwrapKey";

/** Web Crypto's order of usages: the order of `usages` on every key. */
export const USAGES: readonly KeyUsage[] = ["encrypt", "decrypt", "sign", "verify", "deriveKey", "deriveBits", "wrapKey", "unwrapKey"];

/** A key's algorithm, as `key.algorithm` shows it (`{ name, length }`, `{ name, hash: { name } }`, …). */
export type KeyAlgorithm = { readonly name: string } & Readonly<Record<string, unknown>>;

export interface Slots {
  readonly type: KeyType;
  readonly extractable: boolean;
  readonly algorithm: KeyAlgorithm;
  readonly usages: readonly KeyUsage[];
  /** The packed key. */
  readonly data: Uint8Array;
}

const slots = new WeakMap<object, Slots & { algorithmObject?: object; usagesObject?: KeyUsage[] }>();
let making = false;

export class CryptoKey {
  constructor() {
    if (!making) throw new TypeError("Illegal constructor: keys come from crypto.subtle (generateKey, importKey, deriveKey, unwrapKey)");
  }

  get type(): KeyType {
    return slotsOf(this, "type").type;
  }

  get extractable(): boolean {
    return slotsOf(this, "extractable").extractable;
  }

  /** The same object on every read, as in browsers (WebCrypto's [[algorithm_cached]]). */
  get algorithm(): object {
    const s = slotsOf(this, "algorithm") as Slots & { algorithmObject?: object };
    return (s.algorithmObject ??= copyAlgorithm(s.algorithm));
  }

  get usages(): KeyUsage[] {
    const s = slotsOf(this, "usages") as Slots & { usagesObject?: KeyUsage[] };
    return (s.usagesObject ??= [...s.usages]);
  }
}

for (const name of ["type", "extractable", "algorithm", "usages"]) {
  Object.defineProperty(CryptoKey.prototype, name, { ...Object.getOwnPropertyDescriptor(CryptoKey.prototype, name), enumerable: true });
}
Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: "CryptoKey", configurable: true });

function copyAlgorithm(algorithm: KeyAlgorithm): object {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(algorithm)) {
    out[name] = value instanceof Uint8Array ? value.slice() : typeof value === "object" && value !== null ? { ...value } : value;
  }
  return out;
}

export function makeKey(init: Slots): CryptoKey {
  making = true;
  try {
    const key = new CryptoKey();
    slots.set(key, { ...init });
    return key;
  } finally {
    making = false;
  }
}

function slotsOf(key: unknown, what: string): Slots {
  const s = slots.get(key as object);
  if (s === undefined) throw new TypeError(`CryptoKey.${what} read on an object that is not a CryptoKey`);
  return s;
}

/** The slots of a key argument; anything but a CryptoKey is a TypeError naming `what`. */
export function keySlots(key: unknown, what: string): Slots {
  const s = typeof key === "object" && key !== null ? slots.get(key) : undefined;
  if (s === undefined) throw new TypeError(`${what} is not a CryptoKey`);
  return s;
}

/** WebIDL `sequence<KeyUsage>`: each a known usage (TypeError otherwise), without repeats, in Web Crypto's order. */
export function usageList(value: unknown): KeyUsage[] {
  if (typeof value !== "object" || value === null || typeof (value as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError("keyUsages is not a sequence of usages");
  }
  const given = new Set<string>();
  for (const usage of value as Iterable<unknown>) {
    const text = String(usage);
    if (!(USAGES as readonly string[]).includes(text)) throw new TypeError(`"${text.slice(0, 40)}" is not a key usage (${USAGES.join(", ")})`);
    given.add(text);
  }
  return USAGES.filter((usage) => given.has(usage));
}

/** A usage outside `allowed` is a SyntaxError (WebCrypto's importKey and generateKey steps). */
export function allowOnly(usages: readonly KeyUsage[], allowed: readonly KeyUsage[], what: string): void {
  const bad = usages.find((usage) => !allowed.includes(usage));
  if (bad !== undefined) fail("SyntaxError", `${what} cannot be used to ${bad} (allowed: ${allowed.join(", ") || "none"})`);
}

/** The usages of `usages` that are in `allowed`, in order. */
export const intersect = (usages: readonly KeyUsage[], allowed: readonly KeyUsage[]) => usages.filter((usage) => allowed.includes(usage));
