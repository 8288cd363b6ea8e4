/**
 * The cases of `npm run bench:web`, as one module that runs unchanged in a unikernel (bundled into
 * the bench image) and in Node: each case prepares its keys and data once, then `run` does one
 * operation through the global `crypto.subtle`. Add a case by adding an entry.
 */

type Pair = { publicKey: any; privateKey: any };
type Case = { setup(): Promise<() => Promise<unknown>> };

const MiB = new Uint8Array(1 << 20).fill(7);
const KiB = new Uint8Array(1024).fill(7);

export const CASES: Record<string, Case> = {
  "crypto.subtle.digest SHA-256, 1 MiB": {
    async setup() {
      return () => crypto.subtle.digest("SHA-256", MiB);
    },
  },
  "Ed25519 sign + verify, 32 bytes": {
    async setup() {
      const pair = (await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"])) as Pair;
      const message = KiB.subarray(0, 32);
      return async () => crypto.subtle.verify("Ed25519", pair.publicKey, await crypto.subtle.sign("Ed25519", pair.privateKey, message), message);
    },
  },
  "ECDSA P-256 sign + verify, 32 bytes": {
    async setup() {
      const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as Pair;
      const alg = { name: "ECDSA", hash: "SHA-256" };
      const message = KiB.subarray(0, 32);
      return async () => crypto.subtle.verify(alg, pair.publicKey, await crypto.subtle.sign(alg, pair.privateKey, message), message);
    },
  },
  "HMAC SHA-256 sign, 1 KiB": {
    async setup() {
      const key = await crypto.subtle.importKey("raw", KiB.subarray(0, 32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return () => crypto.subtle.sign("HMAC", key, KiB);
    },
  },
  "AES-GCM encrypt, 1 MiB": {
    async setup() {
      const key = await crypto.subtle.importKey("raw", KiB.subarray(0, 16), "AES-GCM", false, ["encrypt"]);
      const alg = { name: "AES-GCM", iv: KiB.subarray(0, 12) };
      return () => crypto.subtle.encrypt(alg, key, MiB);
    },
  },
  "importKey JWK P-256 + sign (a key per request)": {
    async setup() {
      const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as Pair;
      const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
      const alg = { name: "ECDSA", hash: "SHA-256" };
      return async () => crypto.subtle.sign(alg, await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]), KiB);
    },
  },
};

/** Runs `name` `n` times after its setup; the time per operation in µs. */
export async function measure(name: string, n: number, now: () => number): Promise<number> {
  const run = await CASES[name]!.setup();
  for (let i = 0; i < Math.min(n, 20); i++) await run();
  const start = now();
  for (let i = 0; i < n; i++) await run();
  return ((now() - start) * 1000) / n;
}
