/**
 * @module guest/runtime/web/subtle/main
 * The entry of the `subtle` runtime part: `crypto.subtle`, `SubtleCrypto` and `CryptoKey`, built
 * on first use from what the runtime hands over (its DOMException, its hypercall wrapper, its
 * random source and UTF-8 codec), so that the part shares the runtime's classes and none of its
 * code runs, or is even held, in a unikernel that does not touch them.
 */

import type { HypercallArgs, HypercallName, HypercallResults } from "../../../../abi/index.ts";
import { useDOMException } from "./errors.ts";
import { useRandom } from "./family.ts";
import { useCall } from "./host.ts";
import { CryptoKey } from "./key.ts";
import { SubtleCrypto, makeSubtle, useUtf8 } from "./subtle.ts";

export interface PartImports {
  DOMException: new (message: string, name: string) => Error;
  call: <N extends HypercallName>(name: N, ...args: HypercallArgs[N]) => HypercallResults[N];
  random: (n: number) => Uint8Array;
  utf8: { encode(text: string): Uint8Array; decode(bytes: Uint8Array): string };
}

export interface SubtlePart {
  subtle: SubtleCrypto;
  SubtleCrypto: typeof SubtleCrypto;
  CryptoKey: typeof CryptoKey;
}

export function load(imports: PartImports): SubtlePart {
  useDOMException(imports.DOMException);
  useCall(imports.call);
  useRandom(imports.random);
  useUtf8(imports.utf8);
  // The part is minified with mangled names: its classes get their public names back.
  for (const [name, value] of [["SubtleCrypto", SubtleCrypto], ["CryptoKey", CryptoKey]] as const) Object.defineProperty(value, "name", { value: name, configurable: true });
  return { subtle: makeSubtle(), SubtleCrypto, CryptoKey };
}
