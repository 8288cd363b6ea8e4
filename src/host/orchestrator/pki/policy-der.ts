/**
 * @module host/orchestrator/pki/policy-der
 * A policy as the value of its X.509 extension: the DER of `TsukiPolicy` (policy.ts describes
 * it), encoded and parsed with `@peculiar/asn1-schema`. Apart from policy.ts so that only what
 * makes or reads certificates (certs.ts) loads the ASN.1 stack.
 */

import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { DaemonError } from "../api/errors.ts";
import { type Policy, POLICY_VERSION, v1Defaults, checkPolicy } from "./policy.ts";

// The ASN.1 schema, declared by calling asn1-schema's decorators as functions (Node runs our
// TypeScript by stripping types, which leaves no room for decorator syntax).
class PortRangeAsn {
  first = 0;
  last = 0;
}
AsnProp({ type: AsnPropTypes.Integer })(PortRangeAsn.prototype, "first");
AsnProp({ type: AsnPropTypes.Integer })(PortRangeAsn.prototype, "last");
AsnType({ type: AsnTypeTypes.Sequence })(PortRangeAsn);

class PeerAsn {
  address = "";
  first = 0;
  last = 0;
}
AsnProp({ type: AsnPropTypes.Utf8String })(PeerAsn.prototype, "address");
AsnProp({ type: AsnPropTypes.Integer })(PeerAsn.prototype, "first");
AsnProp({ type: AsnPropTypes.Integer })(PeerAsn.prototype, "last");
AsnType({ type: AsnTypeTypes.Sequence })(PeerAsn);

class PolicyAsn {
  version = POLICY_VERSION;
  unikernels = 0;
  memoryMb = 0;
  storageMb = 0;
  targets: string[] = [];
  addresses: string[] = [];
  ports: PortRangeAsn[] = [];
  // Version 2: absent from version 1 certificates.
  cpuMs?: number;
  connections?: number;
  peers?: PeerAsn[];
}
for (const key of ["version", "unikernels", "memoryMb", "storageMb"]) AsnProp({ type: AsnPropTypes.Integer })(PolicyAsn.prototype, key);
for (const key of ["targets", "addresses"]) AsnProp({ type: AsnPropTypes.Utf8String, repeated: "sequence" })(PolicyAsn.prototype, key);
AsnProp({ type: PortRangeAsn, repeated: "sequence" })(PolicyAsn.prototype, "ports");
for (const key of ["cpuMs", "connections"]) AsnProp({ type: AsnPropTypes.Integer, optional: true })(PolicyAsn.prototype, key);
AsnProp({ type: PeerAsn, repeated: "sequence", optional: true })(PolicyAsn.prototype, "peers");
AsnType({ type: AsnTypeTypes.Sequence })(PolicyAsn);

/** The policy's DER, for the extension's value (always the current version). */
export function encodePolicy(policy: Policy): Uint8Array {
  const asn = new PolicyAsn();
  asn.unikernels = policy.unikernels;
  asn.memoryMb = policy.memoryMb;
  asn.storageMb = policy.storageMb;
  asn.targets = [...policy.targets];
  asn.addresses = [...policy.addresses];
  asn.ports = policy.ports.map((r) => Object.assign(new PortRangeAsn(), r));
  asn.cpuMs = policy.cpuMs;
  asn.connections = policy.connections;
  asn.peers = policy.peers.map((p) => Object.assign(new PeerAsn(), p));
  return new Uint8Array(AsnConvert.serialize(asn));
}

/** Parses and checks an extension's value; `where` names the certificate for messages. */
export function decodePolicy(der: ArrayBuffer | ArrayBufferView, where: string): Policy {
  let asn: PolicyAsn;
  try {
    asn = AsnConvert.parse(der, PolicyAsn);
  } catch (error) {
    throw new DaemonError("POLICY_INVALID", `the policy in ${where} is not DER of TsukiPolicy (${(error as Error).message}): issue the certificate again with "tsuki cert issue"`);
  }
  if (asn.version !== 1 && asn.version !== POLICY_VERSION) throw new DaemonError("POLICY_INVALID", `the policy in ${where} has version ${asn.version}; this tsukid reads versions 1 and ${POLICY_VERSION}: issue it again with this tsuki`);
  // An empty list of peers is written as nothing (asn1-schema omits an empty optional SEQUENCE OF).
  const v2 = [asn.cpuMs, asn.connections, asn.peers?.length ? asn.peers : undefined].filter((f) => f !== undefined).length;
  if (asn.version === 1 && v2 > 0) throw new DaemonError("POLICY_INVALID", `the policy in ${where} says version 1 but has version 2's fields (cpuMs, connections, peers): issue it again with this tsuki`);
  if (asn.version === 2 && (asn.cpuMs === undefined || asn.connections === undefined)) throw new DaemonError("POLICY_INVALID", `the policy in ${where} is version 2 without cpuMs and connections: issue it again with this tsuki`);
  const peers = (asn.peers ?? []).map((p) => ({ address: p.address, first: p.first, last: p.last }));
  const extra = asn.version === 1 ? v1Defaults(asn.unikernels) : { cpuMs: asn.cpuMs, connections: asn.connections, peers };
  return checkPolicy({ unikernels: asn.unikernels, memoryMb: asn.memoryMb, storageMb: asn.storageMb, targets: asn.targets, addresses: asn.addresses, ports: asn.ports.map((r) => ({ first: r.first, last: r.last })), ...extra }, where);
}
