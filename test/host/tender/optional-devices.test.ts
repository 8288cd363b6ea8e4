/**
 * Optional devices: a device declared with `{ optional: true }` is written into the manifest as
 * such, may be left unbound (start() then receives undefined and no handle is spent on it), and
 * works as any other device when bound. On every target.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseManifest } from "../../../src/abi/index.ts";
import { parseBinding } from "../../../src/host/spec/bindings.ts";
import { TARGET_NAMES } from "../../../src/host/tender/targets/index.ts";
import { bootToEnd, buildSource, processTargetUnavailable } from "../../helpers.ts";

const SOURCE = `
import { listener, udp, unikernel } from "tsuki";
export default unikernel({
  devices: { web: listener(), dns: udp({ optional: true }) },
  start({ web, dns, exit }) {
    console.log(JSON.stringify({ web: typeof web, dns: dns === undefined ? "unbound" : dns.kind + " " + dns.address.port }));
    exit(0);
  },
});
`;

/** Why the process target cannot run here (its sandbox's walls), or undefined. */
const processUnavailable = await processTargetUnavailable();

describe("optional devices", async () => {
  const image = await buildSource(SOURCE);

  test("the manifest marks the optional device and only it", () => {
    assert.deepEqual(image.manifest.devices, { dns: { kind: "udp", optional: true }, web: { kind: "listener" } });
  });

  test("a manifest whose optional is anything but true is refused", () => {
    const json = { ...image.manifest, devices: { dns: { kind: "udp", optional: false } } };
    const result = parseManifest(JSON.parse(JSON.stringify(json)));
    assert.equal(result.ok, false);
    assert.match(String(!result.ok && result.problems.join("\n")), /devices\.dns\.optional must be true or absent, found false/);
  });

  for (const target of TARGET_NAMES) {
    test(`${target}: left unbound, start receives undefined; bound, the device`, { skip: target === "process" ? processUnavailable : undefined }, async () => {
      const unbound = await bootToEnd(target, image, { bindings: [parseBinding("web=tcp://127.0.0.1:0")] });
      assert.equal(unbound.status.code, 0, JSON.stringify(unbound));
      assert.deepEqual(unbound.out.map((l) => JSON.parse(l)), [{ web: "object", dns: "unbound" }]);
      const bound = await bootToEnd(target, image, { bindings: [parseBinding("web=tcp://127.0.0.1:0"), parseBinding("dns=udp://127.0.0.1:0")] });
      assert.equal(bound.status.code, 0, JSON.stringify(bound));
      const line = JSON.parse(bound.out[0]!);
      assert.equal(line.web, "object");
      assert.match(line.dns, /^udp \d+$/);
    });
  }

  test("the required device is still required", async () => {
    const { tender } = await import("../../helpers.ts").then((h) => h.testTender("isolate"));
    await assert.rejects(tender.boot(image, { bindings: [parseBinding("dns=udp://127.0.0.1:0")] }), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ERR_DEV_UNBOUND");
      assert.match(error.message, /device "web" is declared by image "t" but not bound/);
      return true;
    });
  });
});
