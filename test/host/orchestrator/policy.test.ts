/**
 * Policies in certificates, without a daemon: the extension's DER round-trips and is refused when
 * malformed; a sub-policy is checked against its parent field by field; a chain is mapped to a
 * tenant path or refused with a clear code (no tenant, no policy, a bad name, a policy larger
 * than its parent's); the chain header a client sends is verified, not trusted (another CA's
 * certificates, a forged order); and a create is admitted against the policy and the budgets of
 * every ancestor, with devices tenants may not bind refused; a block volume's create against
 * the storage left across the subtree.
 */

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, test } from "node:test";
import * as x509 from "../../../src/host/orchestrator/pki/x509.ts";
import { createCa, issueClient, issueTenant } from "../../../src/host/orchestrator/pki/certs.ts";
import type { DaemonError } from "../../../src/host/orchestrator/api/errors.ts";
import { ChainCache, chainHeader, verifiedChain } from "../../../src/host/orchestrator/pki/peer-chain.ts";
import { policyOf } from "../../../src/host/orchestrator/pki/native-certs.ts";
import { POLICY_OID, checkPolicy, policyExcess } from "../../../src/host/orchestrator/pki/policy.ts";
import { decodePolicy, encodePolicy } from "../../../src/host/orchestrator/pki/policy-der.ts";
import type { UnikernelSpec } from "../../../src/host/orchestrator/model/spec.ts";
import { admit, admitVolume, budgets } from "../../../src/host/orchestrator/control/tenants.ts";
import { tenantFromChain } from "../../../src/host/orchestrator/pki/tenant-chain.ts";
import { fullName, placeVolumes, present } from "../../../src/host/orchestrator/control/scope.ts";
import type { Manifest } from "../../../src/abi/index.ts";
import { POLICY } from "./pki.ts";

const code = (c: string, message?: RegExp) => (e: DaemonError) => {
  assert.equal(e.code, c, e.message);
  if (message) assert.match(e.message, message);
  return true;
};
const notRoot = () => false;

describe("the policy extension", () => {
  test("encodes to DER and decodes to the same policy", () => {
    assert.deepEqual(decodePolicy(encodePolicy(POLICY), "test"), POLICY);
  });

  test("garbage, a wrong version and out-of-range fields are ERR_POLICY_INVALID naming the field", () => {
    assert.throws(() => decodePolicy(new Uint8Array([1, 2, 3]), "x"), code("ERR_POLICY_INVALID", /not DER of TsukiPolicy/));
    assert.throws(() => checkPolicy({ ...POLICY, unikernels: 0 }, "x"), code("ERR_POLICY_INVALID", /unikernels .* from 1/));
    assert.throws(() => checkPolicy({ ...POLICY, targets: ["unix"] }, "x"), code("ERR_POLICY_INVALID", /target "unix" is not one of isolate, process/));
    assert.throws(() => checkPolicy({ ...POLICY, addresses: ["example.com"] }, "x"), code("ERR_POLICY_INVALID", /not an IP address/));
    assert.throws(() => checkPolicy({ ...POLICY, ports: [{ first: 9000, last: 8000 }] }, "x"), code("ERR_POLICY_INVALID", /ends before it starts/));
  });

  test("a version 1 policy (no cpuMs, connections or peers) reads with version 1's defaults; other versions are refused", () => {
    // DER by hand: what tsuki wrote before version 2.
    const tlv = (tag: number, body: number[]) => [tag, body.length, ...body];
    const int = (n: number) => tlv(0x02, n < 0x80 ? [n] : n < 0x8000 ? [n >> 8, n & 0xff] : [0, n >> 8, n & 0xff]);
    const utf8 = (t: string) => tlv(0x0c, [...Buffer.from(t)]);
    const v1 = (version: number, extra: number[] = []) =>
      new Uint8Array(tlv(0x30, [...int(version), ...int(4), ...int(256), ...int(64), ...tlv(0x30, utf8("isolate")), ...tlv(0x30, utf8("127.0.0.1")), ...tlv(0x30, tlv(0x30, [...int(18100), ...int(18199)])), ...extra]));
    assert.deepEqual(decodePolicy(v1(1), "v1"), { ...POLICY, cpuMs: 1000, connections: 4 * 1024, peers: [] });
    assert.throws(() => decodePolicy(v1(3), "v3"), code("ERR_POLICY_INVALID", /has version 3; this tsukid reads versions 1 and 2/));
    assert.throws(() => decodePolicy(v1(0), "v0"), code("ERR_POLICY_INVALID", /has version 0/));
    assert.throws(() => decodePolicy(v1(2), "v2 without its fields"), code("ERR_POLICY_INVALID", /version 2 without cpuMs and connections/));
    assert.throws(() => decodePolicy(v1(1, [...int(50), ...int(10)]), "v1 with v2 fields"), code("ERR_POLICY_INVALID", /says version 1 but has version 2's fields/));
    const peers = [{ address: "10.0.0.5", first: 5432, last: 5433 }];
    assert.deepEqual(decodePolicy(encodePolicy({ ...POLICY, cpuMs: 50, connections: 7, peers }), "v2"), { ...POLICY, cpuMs: 50, connections: 7, peers });
  });

  test("a sub-policy fits when every number is at most the parent's and every list is inside it", () => {
    assert.deepEqual(policyExcess(POLICY, POLICY), []);
    assert.deepEqual(policyExcess({ ...POLICY, unikernels: 1, ports: [{ first: 18110, last: 18120 }] }, POLICY), []);
    assert.deepEqual(policyExcess({ ...POLICY, unikernels: 9, memoryMb: 512, storageMb: 65, targets: ["isolate", "process"], addresses: ["::1"], ports: [{ first: 18150, last: 18250 }] }, POLICY), [
      "unikernels 9 > 4",
      "memory 512M > 256M",
      "storage 65M > 64M",
      "targets process not in isolate",
      "addresses ::1 not in 127.0.0.1",
      "ports 18150-18250 not inside 18100-18199",
    ]);
    const parent = { ...POLICY, peers: [{ address: "10.0.0.5", first: 5000, last: 5999 }] };
    assert.deepEqual(policyExcess({ ...parent, cpuMs: 1001, connections: 4097, peers: [{ address: "10.0.0.5", first: 5000, last: 6000 }, { address: "10.0.0.6", first: 5000, last: 5000 }] }, parent), [
      "cpu 1001 ms > 1000 ms",
      "connections 4097 > 4096",
      "peers 10.0.0.5:5000-6000,10.0.0.6:5000 not inside 10.0.0.5:5000-5999",
    ]);
  });
});

describe("tenants from certificate chains", async () => {
  // Made with @peculiar/x509 (as tsuki cert issue makes them), read with Node's X509Certificate (as the daemon reads them).
  const nat = (c: x509.X509Certificate) => new X509Certificate(Buffer.from(c.rawData));
  const der = (...certs: x509.X509Certificate[]) => certs.map((c) => new Uint8Array(c.rawData));
  const ca = await createCa("CA");
  const root = { cert: ca.cert, key: ca.keys.privateKey };
  const acme = await issueTenant(root, "acme", POLICY);
  const web = await issueTenant({ cert: acme.cert, key: acme.keys.privateKey }, "web", { ...POLICY, unikernels: 2 });
  const leaf = await issueClient({ cert: web.cert, key: web.keys.privateKey }, "web-client");
  const caN = nat(ca.cert);

  test("each tenant certificate is one segment of the path, with its policy", () => {
    const tenant = tenantFromChain([nat(leaf.cert), nat(web.cert), nat(acme.cert), caN], (c) => c === caN);
    assert.deepEqual(tenant.path, ["acme", "web"]);
    assert.deepEqual(tenant.policies.map((p) => p.unikernels), [4, 2]);
    assert.equal(tenant.client, "web-client");
  });

  test("a client certificate issued by the CA itself, a tenant presented as the client, a tenant without a policy or with a bad name are ERR_CERT_INVALID", async () => {
    const direct = await issueClient(root, "nobody");
    assert.throws(() => tenantFromChain([nat(direct.cert)], notRoot), code("ERR_CERT_INVALID", /issued by the CA itself and so names no tenant/));
    assert.throws(() => tenantFromChain([nat(web.cert), nat(acme.cert)], notRoot), code("ERR_CERT_INVALID", /is a tenant \(CA\) certificate/));
    const bare = await x509.X509CertificateGenerator.create({ serialNumber: "01", subject: "CN=bare", issuer: ca.cert.subject, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 86_400_000), signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, publicKey: acme.keys.publicKey, signingKey: ca.keys.privateKey, extensions: [new x509.BasicConstraintsExtension(true)] });
    assert.throws(() => tenantFromChain([nat(leaf.cert), nat(bare)], notRoot), code("ERR_CERT_INVALID", /carries no tsuki policy/));
    const shouty = await issueTenant(root, "ACME", POLICY);
    assert.throws(() => tenantFromChain([nat(leaf.cert), nat(shouty.cert)], notRoot), code("ERR_CERT_INVALID", /CN "ACME", which is not a name segment/));
    // A CN cannot smuggle a second line into the subject Node prints.
    const sneaky = await issueTenant(root, "evil\nCN=acme", POLICY);
    assert.throws(() => tenantFromChain([nat(leaf.cert), nat(sneaky.cert)], notRoot), code("ERR_CERT_INVALID", /not a name segment/));
    // A policy extension that is not TsukiPolicy's DER.
    const broken = await x509.X509CertificateGenerator.create({ serialNumber: "02", subject: "CN=broken", issuer: ca.cert.subject, notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 86_400_000), signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, publicKey: acme.keys.publicKey, signingKey: ca.keys.privateKey, extensions: [new x509.BasicConstraintsExtension(true), new x509.Extension(POLICY_OID, false, new Uint8Array([4, 1, 0]))] });
    assert.throws(() => tenantFromChain([nat(leaf.cert), nat(broken)], notRoot), code("ERR_POLICY_INVALID", /not DER of TsukiPolicy/));
  });

  test("the policy read from the extension by the daemon (asn1-schema over Node's certificate) is the one tsuki cert issue wrote", () => {
    assert.deepEqual(policyOf(nat(acme.cert)), POLICY);
    assert.deepEqual(policyOf(nat(web.cert)), { ...POLICY, unikernels: 2 });
    assert.equal(policyOf(nat(leaf.cert)), undefined);
    assert.equal(policyOf(caN), undefined);
  });

  test("a sub-tenant whose policy exceeds its parent's is ERR_POLICY_EXCEEDS_PARENT", async () => {
    const greedy = await issueTenant({ cert: acme.cert, key: acme.keys.privateKey }, "greedy", { ...POLICY, memoryMb: 4096 });
    const client = await issueClient({ cert: greedy.cert, key: greedy.keys.privateKey }, "g");
    assert.throws(() => tenantFromChain([nat(client.cert), nat(greedy.cert), nat(acme.cert)], notRoot), code("ERR_POLICY_EXCEEDS_PARENT", /"acme\/greedy" exceeds its parent "acme": memory 4096M > 256M/));
  });

  test("the chain header is verified up to the trusted CA: a good one passes; missing, reordered, foreign, forged or expired ones are ERR_CERT_INVALID", async () => {
    const header = chainHeader(der(leaf.cert, web.cert, acme.cert));
    const leafN = nat(leaf.cert);
    assert.deepEqual((await verifiedChain(leafN, header, [caN])).map((c) => c.subject), ["CN=web-client", "CN=web", "CN=acme"]);
    await assert.rejects(verifiedChain(leafN, undefined, [caN]), code("ERR_CERT_INVALID", /no "tsuki-chain" header/));
    await assert.rejects(verifiedChain(leafN, chainHeader(der(leaf.cert, acme.cert, web.cert)), [caN]), code("ERR_CERT_INVALID", /is not validly issued by/));
    const other = await createCa("CA");
    await assert.rejects(verifiedChain(leafN, header, [nat(other.cert)]), code("ERR_CERT_INVALID", /not issued by the CA this daemon trusts/));
    // A forged "acme" with a bigger policy, self-made under the same names: its signature gives it away.
    const forger = await createCa("CA");
    const fakeAcme = await issueTenant({ cert: forger.cert, key: forger.keys.privateKey }, "acme", { ...POLICY, unikernels: 1000 });
    await assert.rejects(verifiedChain(leafN, chainHeader(der(leaf.cert, web.cert, fakeAcme.cert)), [caN]), code("ERR_CERT_INVALID"));
    await assert.rejects(verifiedChain(leafN, "not base64!", [caN]), code("ERR_CERT_INVALID", /base64/));
    await assert.rejects(verifiedChain(leafN, "AAAA", [caN]), code("ERR_CERT_INVALID", /is not an X\.509 certificate/));
    // Valid now, not later: a tenant certificate past its notAfter, and the leaf past its own.
    const later = new Date(Date.now() + 400 * 86_400_000);
    await assert.rejects(verifiedChain(leafN, header, [caN], later), code("ERR_CERT_INVALID", /is not valid now/));
    const shortLived = await issueTenant(root, "brief", POLICY, { notAfter: new Date(Date.now() + 60_000) });
    const briefLeaf = await issueClient({ cert: shortLived.cert, key: shortLived.keys.privateKey }, "b", { days: 30 });
    await verifiedChain(nat(briefLeaf.cert), chainHeader(der(briefLeaf.cert, shortLived.cert)), [caN]);
    await assert.rejects(verifiedChain(nat(briefLeaf.cert), chainHeader(der(briefLeaf.cert, shortLived.cert)), [caN], new Date(Date.now() + 120_000)), code("ERR_CERT_INVALID", /tenant certificate "CN=brief" is not valid now/));
  });

  test("verified chains are kept per leaf and header, never for another leaf, never past the earliest notAfter, and bounded", async () => {
    const cache = new ChainCache<string>(2);
    const header = chainHeader(der(leaf.cert, web.cert, acme.cert));
    const chain = await verifiedChain(nat(leaf.cert), header, [caN]);
    const raw = new Uint8Array(leaf.cert.rawData);
    const key = ChainCache.key(raw, header);
    const { notAfter } = cache.set(key, chain, "acme/web");
    assert.equal(notAfter, Math.min(...[leaf, web, acme].map((i) => i.cert.notAfter.getTime())));
    assert.deepEqual(cache.get(key, raw), { value: "acme/web", notAfter });
    // Another leaf (another client of the same tenant) has another key; and under this key, other bytes are refused.
    const sibling = await issueClient({ cert: web.cert, key: web.keys.privateKey }, "web-client");
    const siblingRaw = new Uint8Array(sibling.cert.rawData);
    assert.notEqual(ChainCache.key(siblingRaw, header), key);
    assert.equal(cache.get(ChainCache.key(siblingRaw, header), siblingRaw), undefined);
    assert.equal(cache.get(key, siblingRaw), undefined, "an entry is checked against the leaf's bytes");
    cache.set(key, chain, "acme/web");
    assert.equal(cache.get(key, raw, notAfter + 1), undefined, "expired with the earliest notAfter");
    assert.equal(cache.get(key, raw), undefined, "and dropped");
    // Bounded: the least recently used goes first.
    cache.set("a", chain, "a");
    cache.set("b", chain, "b");
    cache.get("a", raw);
    cache.set("c", chain, "c");
    assert.equal(cache.size, 2);
    assert.equal(cache.get("b", raw), undefined);
    assert.equal(cache.get("a", raw)?.value, "a");
    assert.equal(cache.get("c", raw)?.value, "c");
  });
});

describe("admitting a create", () => {
  const manifest = { name: "m", devices: { web: { kind: "listener" }, data: { kind: "block" }, db: { kind: "connector" }, dns: { kind: "udp" }, eth: { kind: "net" } } } as unknown as Manifest;
  const peers = [{ address: "10.0.0.5", first: 5432, last: 5432 }, { address: "::1", first: 53, last: 53 }];
  const tenant = { path: ["acme", "web"], policies: [{ ...POLICY, storageMb: 100, peers }, { ...POLICY, storageMb: 64, peers }], client: "c" };
  const spec = (name: string, devices: string[], memoryMb = 32, cpuMs = 100): UnikernelSpec => ({ name, image: "0".repeat(64), devices, memoryMb, cpuMs, target: "isolate", restart: "never", priority: 50, args: {} });
  const volumes = new Set(["/state/volumes/acme+web+d.img"]);

  test("block storage is accounted by volume across the subtree, from the volume's create; a unikernel binding one asks for none", () => {
    const volume = (name: string, mb: number) => ({ name, size: mb * 2 ** 20 });
    admitVolume(tenant, 64, []);
    assert.throws(() => admitVolume(tenant, 65, []), code("ERR_POLICY_BUDGET", /tenant "acme\/web" has 64M of its 64M block storage left and this volume asks for 65M: destroy a volume first \(tsuki block list\)/));
    // A sibling's volume counts against the parent's budget.
    assert.throws(() => admitVolume(tenant, 60, [volume("acme/db/x", 50)]), code("ERR_POLICY_BUDGET", /tenant "acme" \(which "acme\/web" is under\) has 50M of its 100M block storage left/));
    // Another tenant's volume does not; a volume of a few bytes counts as a whole MiB.
    admitVolume(tenant, 63, [volume("globex/x", 90), { name: "acme/web/tiny", size: 512 }]);
    assert.deepEqual(budgets(tenant, [], [volume("acme/web/a", 3), volume("acme/db/b", 5)]).map((b) => [b.tenant, b.used.storageMb]), [["acme", 8], ["acme/web", 3]]);
    // Binding a volume costs no storage: sizes are not read from bindings any more.
    admit(tenant, spec("acme/web/a", ["web=tcp://127.0.0.1:18100", "data=file:/state/volumes/acme+web+d.img"]), manifest, [], volumes);
  });

  test("a block device is admitted only on a volume of the tenant's subtree; any other file is refused", () => {
    for (const file of ["/etc/passwd", "/state/state.db", "/state/volumes/globex+d.img", "state/volumes/acme+web+d.img"]) {
      assert.throws(() => admit(tenant, spec("acme/web/a", [`data=file:${file}`]), manifest, [], volumes), code("ERR_POLICY_DENIED", /only its own block volumes/), file);
    }
    assert.throws(() => admit(tenant, spec("acme/web/a", ["data=file:/state/volumes/acme+web+d.img"]), manifest, []), code("ERR_POLICY_DENIED"), "no volume files given: none is its own");
  });

  test("tap interfaces and tls: listeners with host files are the administrator's", () => {
    assert.throws(() => admit(tenant, spec("acme/web/a", ["eth=tap:tap0"]), manifest, []), code("ERR_POLICY_DENIED", /net device on a host interface \(tap:\), which tenants may not bind/));
    assert.throws(() => admit(tenant, spec("acme/web/a", ["web=tls://127.0.0.1:18100?cert=/etc/ssl/k.pem&key=/etc/ssl/k.key"]), manifest, []), code("ERR_POLICY_DENIED", /tls: listener reads its certificate and key from host files/));
  });

  test("connectors and udp peers go only to the policy's peers, by address", () => {
    const admitted = admit(tenant, spec("acme/web/a", ["db=tcp://10.0.0.5:5432", "dns=udp://127.0.0.1:18101?peer=[::1]:53"]), manifest, []);
    assert.match(admitted.devices[0]!, /^db=tcp:\/\/10\.0\.0\.5:5432\?max=\d+$/);
    for (const db of ["tcp://10.0.0.5:5433", "tcp://10.0.0.6:5432", "tcp://db.example:5432", "tcp://[::1]:5432"]) {
      assert.throws(() => admit(tenant, spec("acme/web/a", [`db=${db}`]), manifest, []), code("ERR_POLICY_DENIED", /not allowed for tenant "acme\/web" \(its policy's peers: 10\.0\.0\.5:5432,\[::1\]:53\)/), db);
    }
    assert.throws(() => admit(tenant, spec("acme/web/a", ["dns=udp://127.0.0.1:18101?peer=10.0.0.5:53"]), manifest, []), code("ERR_POLICY_DENIED", /peer=10\.0\.0\.5:53 is not among the peers/));
    assert.throws(() => admit({ ...tenant, policies: [POLICY, POLICY] }, spec("acme/web/a", ["db=tcp://10.0.0.5:5432"]), manifest, []), code("ERR_POLICY_DENIED", /peers: none/));
    // TLS done by the host, verified against its roots: allowed to a peer; a CA file of the host's choosing is not the tenant's to name.
    admit(tenant, spec("acme/web/a", ["db=tls://10.0.0.5:5432?servername=db.internal"]), manifest, []);
    assert.throws(() => admit(tenant, spec("acme/web/a", ["db=tls://10.0.0.5:5432?ca=/etc/ssl/private/ca.pem"]), manifest, []), code("ERR_POLICY_DENIED", /\?ca= names a host file/));
  });

  test("udp devices bind only the policy's addresses and ports, as listeners do", () => {
    admit(tenant, spec("acme/web/a", ["dns=udp://127.0.0.1:18150"]), manifest, []);
    assert.throws(() => admit(tenant, spec("acme/web/a", ["dns=udp://0.0.0.0:18150"]), manifest, []), code("ERR_POLICY_DENIED", /listening on 0\.0\.0\.0 is not allowed/));
    assert.throws(() => admit(tenant, spec("acme/web/a", ["dns=udp://[::1]:18150"]), manifest, []), code("ERR_POLICY_DENIED", /listening on ::1 is not allowed/));
    assert.throws(() => admit(tenant, spec("acme/web/a", ["dns=udp://127.0.0.1:53"]), manifest, []), code("ERR_POLICY_DENIED", /port 53 is outside the ports/));
    assert.throws(() => admit(tenant, spec("acme/web/a", ["dns=udp://127.0.0.1:0"]), manifest, []), code("ERR_POLICY_DENIED", /port 0, any free port/));
  });

  test("a turn longer than the policy's cpuMs is refused", () => {
    admit(tenant, spec("acme/web/a", [], 32, 1000), manifest, []);
    assert.throws(() => admit(tenant, spec("acme/web/a", [], 32, 1001), manifest, []), code("ERR_POLICY_DENIED", /--cpu-ms 1001 is more than tenant "acme\/web" may ask for \(its policy allows turns of up to 1000 ms\)/));
    assert.throws(() => admit({ ...tenant, policies: [{ ...POLICY, cpuMs: 50 }, POLICY] }, spec("acme/web/a", [], 32, 100), manifest, []), code("ERR_POLICY_DENIED", /up to 50 ms/), "an ancestor's cap holds too");
  });

  test("connections: each ?max= counts against the subtree's budget; a listener without one gets a fair share, written out", () => {
    const small = { ...tenant, policies: [{ ...POLICY, connections: 1000, peers }, { ...POLICY, connections: 600, peers }] };
    assert.throws(() => admit(small, spec("acme/web/a", ["web=tcp://127.0.0.1:18100?max=601"]), manifest, []), code("ERR_POLICY_BUDGET", /tenant "acme\/web" has 600 of its 600 connections left and this create's listeners and connectors ask for 601/));
    // 600 left at acme/web and 4 unikernels to go: 150 each.
    const a = admit(small, spec("acme/web/a", ["web=tcp://127.0.0.1:18100"]), manifest, []);
    assert.deepEqual(a.devices, ["web=tcp://127.0.0.1:18100?max=150"]);
    // A sibling's caps count against the parent's budget, which then gives less: acme has
    // 1000 - 150 - 700 = 150 left for 2 more unikernels, 75 each (acme/web alone would give 150).
    const sibling = spec("acme/db/x", ["web=tcp://127.0.0.1:18101?max=700"]);
    const b = admit(small, spec("acme/web/b", ["web=tcp://127.0.0.1:18102", "db=tcp://10.0.0.5:5432"]), manifest, [a, sibling]);
    assert.deepEqual(b.devices, ["web=tcp://127.0.0.1:18102?max=37", "db=tcp://10.0.0.5:5432?max=37"], "and split between its two uncapped devices");
    // Nothing left: refused, saying how to fix it.
    const full = spec("acme/db/y", ["web=tcp://127.0.0.1:18103?max=150"]);
    assert.throws(() => admit(small, spec("acme/web/c", ["web=tcp://127.0.0.1:18104"]), manifest, [a, sibling, full]), code("ERR_POLICY_BUDGET", /tenant "acme" has 0 of its 1000 connections left, too few for "web": give each listener and connector a smaller \?max=N/));
  });
});

describe("a tenant's names and block volumes", () => {
  const caller = { kind: "tenant" as const, tenant: { path: ["acme", "web"], policies: [POLICY, POLICY], client: "c" } };

  test("names are relative to the tenant's path, and cannot climb out of it", () => {
    assert.equal(fullName(caller, "app"), "acme/web/app");
    assert.equal(fullName(caller, "sub/app"), "acme/web/sub/app");
    for (const bad of ["..", "../globex/app", "/etc", "a//b", "A"]) assert.throws(() => fullName(caller, bad), code("ERR_NAME_INVALID"), bad);
  });

  test("block volumes named by bare names are named in full under the tenant; shown back by their names; host paths are refused", () => {
    const placed = placeVolumes(caller, ["data=file:data.img", "logs=volume:logs?sector=4096", "web=tcp://127.0.0.1:18100"]) as string[];
    assert.deepEqual(placed, ["data=volume:acme/web/data.img", "logs=volume:acme/web/logs?sector=4096", "web=tcp://127.0.0.1:18100"]);
    const files: Record<string, string> = { "/state/volumes/acme+web+data.img": "acme/web/data.img", "/state/volumes/acme+web+sub+x": "acme/web/sub/x" };
    const volumeOf = (file: string) => files[file];
    const bound = ["data=file:/state/volumes/acme+web+data.img", "x=file:/state/volumes/acme+web+sub+x?sector=4096", "web=tcp://127.0.0.1:18100"];
    assert.deepEqual(present(caller, { name: "acme/web/app", devices: bound }, volumeOf), { name: "app", devices: ["data=file:data.img", "x=file:sub/x?sector=4096", "web=tcp://127.0.0.1:18100"] });
    for (const bad of ["data=file:/etc/passwd", "data=file:../x.img", "data=file:a/b.img", "data=volume:globex/data"]) assert.throws(() => placeVolumes(caller, [bad]), code("ERR_POLICY_DENIED", /bare names/), bad);
    assert.deepEqual(placeVolumes({ kind: "admin" }, ["data=file:/srv/d.img", "v=volume:acme/data"]), ["data=file:/srv/d.img", "v=volume:acme/data"]);
  });
});

/**
 * What the policy promises and the tests above did not hold it to: each of these broke no test
 * when the code stopped doing it. Written against behaviour (codes and what the message names),
 * not against the parser that produces the spec.
 */
describe("policy promises: what tenants may not bind, udp limits, the version", () => {
  const manifest = { name: "m", devices: { web: { kind: "listener" }, dns: { kind: "udp" }, eth: { kind: "net" }, db: { kind: "connector" } } } as unknown as Manifest;
  const tenant = { path: ["acme"], policies: [POLICY], client: "c" };
  const spec = (devices: string[]): UnikernelSpec => ({ name: "acme/a", image: "0".repeat(64), devices, memoryMb: 32, cpuMs: 100, target: "isolate", restart: "never", priority: 50, args: {} });
  const admitted = (devices: string[]) => admit(tenant, spec(devices), manifest, []);

  test("a net device (a TAP on the host) is the administrator's, whatever its name", () => {
    assert.throws(() => admitted(["eth=tap:tap0"]), code("ERR_POLICY_DENIED", /^device "eth" is a net device on a host interface \(tap:\), which tenants may not bind/));
    assert.throws(() => admitted(["web=tcp://127.0.0.1:18100", "eth=tap:tsuki-acme"]), code("ERR_POLICY_DENIED", /device "eth" is a net/));
  });

  test("a connector is refused even to an address and port the policy lets listeners bind: only its peers are reachable", () => {
    assert.throws(() => admitted(["db=tcp://127.0.0.1:18100"]), code("ERR_POLICY_DENIED", /^device "db": connecting to 127\.0\.0\.1:18100 is not allowed for tenant "acme" \(its policy's peers: none\)/));
  });

  test("a tls: listener is refused even on an allowed address and port; without host files it is not a binding at all", () => {
    assert.throws(() => admitted(["web=tls://127.0.0.1:18100?cert=/etc/ssl/c.pem&key=/etc/ssl/k.pem"]), code("ERR_POLICY_DENIED", /^device "web": a tls: listener reads its certificate and key from host files/));
    assert.throws(() => admitted(["web=tls://127.0.0.1:18100"]), code("ERR_DEV_MALFORMED", /needs \?cert=PATH&key=PATH/));
  });

  test("a udp socket binds only the policy's addresses", () => {
    admitted(["dns=udp://127.0.0.1:18153"]);
    assert.throws(() => admitted(["dns=udp://0.0.0.0:18153"]), code("ERR_POLICY_DENIED", /^device "dns": listening on 0\.0\.0\.0 is not allowed for tenant "acme" \(its policy allows 127\.0\.0\.1\)/));
    assert.throws(() => admitted(["dns=udp://[::1]:18153"]), code("ERR_POLICY_DENIED", /^device "dns": listening on ::1 is not allowed/));
    admit({ ...tenant, policies: [{ ...POLICY, addresses: ["::1"] }] }, spec(["dns=udp://[::1]:18153"]), manifest, []);
  });

  test("a udp socket binds only the policy's ports, and not port 0", () => {
    admitted(["dns=udp://127.0.0.1:18100"]);
    admitted(["dns=udp://127.0.0.1:18199"]);
    assert.throws(() => admitted(["dns=udp://127.0.0.1:18200"]), code("ERR_POLICY_DENIED", /^device "dns": port 18200 is outside the ports of tenant "acme" \(18100-18199\)/));
    assert.throws(() => admitted(["dns=udp://127.0.0.1:53"]), code("ERR_POLICY_DENIED", /port 53 is outside/));
    assert.throws(() => admitted(["dns=udp://127.0.0.1:0"]), code("ERR_POLICY_DENIED", /port 0 is outside .*\(port 0, any free port, could land anywhere\)/));
  });

  test("a policy of another version is ERR_POLICY_INVALID naming both versions", () => {
    const der = encodePolicy(POLICY);
    // TsukiPolicy is a SEQUENCE whose first element is `version INTEGER (1 | 2)`: 02 01 02 after the header.
    const header = der[1]! < 0x80 ? 2 : 2 + (der[1]! & 0x7f);
    assert.deepEqual([...der.subarray(header, header + 3)], [0x02, 0x01, 0x02]);
    for (const version of [0, 3]) {
      const other = Uint8Array.from(der);
      other[header + 2] = version;
      assert.throws(() => decodePolicy(other, "the certificate of acme"), code("ERR_POLICY_INVALID", new RegExp(`^the policy in the certificate of acme has version ${version}; this tsukid reads versions 1 and 2: issue it again`)));
    }
  });
});
