/**
 * Every Project Wycheproof file in ../shared/conformance/wycheproof, run inside a unikernel on the
 * isolate target through tsuki's `crypto.subtle`, and through Node's WebCrypto on the same data
 * with the same harness (`wycheproof-harness.ts`). tsuki must pass at least as many cases as Node
 * in every file, accept no invalid case, and reject only with DOMExceptions. Acceptable cases may
 * go either way; the table says which way each implementation went.
 *
 * The vectors are read in place and handed to the unikernel as its `args`; nothing is copied into
 * the tree.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { type Image } from "../../../../../src/host/image/image.ts";
import { ROOT, bootToEnd, buildSource } from "../../../../helpers.ts";
import { type FileResult, runFile } from "./wycheproof-harness.ts";

const DIR = path.resolve(ROOT, "../shared/conformance/wycheproof");
const FILES = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith(".json")).sort() : [];

/**
 * Where tsuki and Node differ on purpose, by file: the reason. (Counts are compared, not cases:
 * a file listed here may pass more than Node, never fewer.)
 */
export const EXPECTED_DIFFERENCES: Record<string, string> = {};

const MAIN = `
import { unikernel } from "tsuki";
import { runFile } from "./harness.ts";
export default unikernel({
  async start({ console, args }) {
    const result = await runFile(crypto.subtle as never, args.file as string, args.data as never);
    console.log(JSON.stringify(result));
  },
});
`;

describe("Wycheproof vectors: tsuki's crypto.subtle in a unikernel (isolate target) next to Node's WebCrypto", { skip: FILES.length === 0 && `no vectors in ${DIR}` }, () => {
  let image: Image;
  const rows: string[] = [];
  before(async () => {
    image = await buildSource(MAIN, { "src/harness.ts": readFileSync(path.join(import.meta.dirname, "wycheproof-harness.ts"), "utf8") });
  });

  for (const file of FILES) {
    test(file, async () => {
      const data = JSON.parse(readFileSync(path.join(DIR, file), "utf8"));
      const booted = await bootToEnd("isolate", image, { args: { file, data }, cpuMs: 60_000, memoryMb: 256 });
      assert.equal(booted.status.kind, "returned", `${booted.status.reason}\n${booted.err.join("\n")}`);
      const ours = JSON.parse(booted.out.join("")) as FileResult;
      const node = await runFile(globalThis.crypto.subtle as never, file, data);
      const pass = (r: FileResult) => r.valid[0] + r.invalid[0];
      rows.push(
        `${file.padEnd(42)} tsuki ${pass(ours)}/${ours.valid[1] + ours.invalid[1]} (acceptable ${ours.acceptable.accepted} accepted, ${ours.acceptable.rejected} rejected)` +
          `  node ${pass(node)}/${node.valid[1] + node.invalid[1]} (acceptable ${node.acceptable.accepted}/${node.acceptable.rejected})`,
      );
      console.log(rows.at(-1), ours.failures.length > 0 ? `\n  tsuki failures: ${JSON.stringify(ours.failures.slice(0, 12))}` : "", node.failures.length > 0 ? `\n  node failures: ${JSON.stringify(node.failures.slice(0, 12))}` : "");
      console.log(`  errors: tsuki ${JSON.stringify(ours.errors)} node ${JSON.stringify(node.errors)}`);
      assert.equal(ours.invalid[0], ours.invalid[1], `an invalid case was accepted: ${JSON.stringify(ours.failures.filter((f) => f[1] === "invalid"))}`);
      assert.ok(pass(ours) >= pass(node), `tsuki passes ${pass(ours)}, Node ${pass(node)}: ${JSON.stringify(ours.failures)}`);
      const foreign = Object.keys(ours.errors).filter((name) => name.startsWith("non-DOMException") && name !== "non-DOMException TypeError");
      assert.deepEqual(foreign, [], "every rejection is a DOMException (or a WebIDL TypeError)");
    });
  }
});
