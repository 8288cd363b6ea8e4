/**
 * Zones and small helpers shared by the tsuki/dns tests: a zone exercising every rule of the
 * authoritative logic (CNAME chains and loops, wildcards and an empty non-terminal, a delegation
 * with glue, MX/SRV/NS additional data, unknown types, a large RRset), a second zone for CNAMEs
 * across zones, and query building.
 */

import { Authority, encodeMessage, parseZone, type Zone } from "../../../../src/guest/lib/dns/index.ts";

export const EXAMPLE_COM = `$ORIGIN example.com.
$TTL 3600
@   IN SOA ns1.example.com. hostmaster.example.com. ( 2024010101 7200 3600 1209600 300 )
    IN NS ns1
    IN NS ns2.example.net.
    IN MX 10 mail
    IN A 192.0.2.1
    IN TXT "v=spf1 -all"
ns1 IN A 192.0.2.53
    IN AAAA 2001:db8::53
mail IN A 192.0.2.25
www IN CNAME web
web IN A 192.0.2.80
Mixed IN A 192.0.2.81
alias-out IN CNAME www.example.org.
alias-ext IN CNAME host.example.net.
loop1 IN CNAME loop2
loop2 IN CNAME loop1
chain IN CNAME www
dangling IN CNAME nothere
*.wild IN A 192.0.2.99
*.wild IN TXT "wild"
a.b.ent IN A 192.0.2.7
*.ent IN A 192.0.2.8
_sip._tcp IN SRV 0 5 5060 sip
sip IN A 192.0.2.60
caa IN CAA 0 issue "letsencrypt.org"
unk IN TYPE65280 \\# 4 0a0b0c0d
sub IN NS ns.sub
sub IN NS ns.other.net.
ns.sub IN A 192.0.2.200
big IN TXT "${"a".repeat(115)}"
big IN TXT "${"b".repeat(115)}"
big IN TXT "${"c".repeat(115)}"
big IN TXT "${"d".repeat(115)}"
big IN TXT "${"e".repeat(115)}"
mx2 IN MX 5 mail
mx2 IN MX 20 mx.example.net.
order IN TXT "first"
order IN A 192.0.2.9
order3 IN TXT "x"
order3 IN MX 1 mail
`;

export const EXAMPLE_NET = `$ORIGIN example.net.
$TTL 300
@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 600
@ IN NS ns1.example.com.
host IN A 198.51.100.1
mx IN A 198.51.100.25
ns2 IN A 198.51.100.53
`;

export function zones(): Zone[] {
  return [parseZone(EXAMPLE_COM, { file: "example.com.zone" }), parseZone(EXAMPLE_NET, { file: "example.net.zone" })];
}

export function authority(options: ConstructorParameters<typeof Authority>[1] = {}): Authority {
  return new Authority(zones(), { allowTransfer: (address) => address === "127.0.0.1", ...options });
}

export const UDP = { tcp: false, remote: { address: "192.0.2.10", port: 53000 } } as const;
export const TCP = { tcp: true, remote: { address: "127.0.0.1", port: 53000 } } as const;

export interface QueryOptions {
  id?: number;
  class?: number;
  rd?: boolean;
  edns?: { udpSize?: number; version?: number; dnssecOk?: boolean } | false;
}

/** A query message for `name`/`type`, with EDNS (1232) unless `edns: false`. */
export function query(name: string, type: number, options: QueryOptions = {}): Uint8Array {
  const edns = options.edns === false ? undefined : { udpSize: options.edns?.udpSize ?? 1232, version: options.edns?.version ?? 0, dnssecOk: options.edns?.dnssecOk ?? false, options: [] };
  return encodeMessage({
    id: options.id ?? 0x1234,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: options.rd ?? false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name, type, class: options.class ?? 1 }],
    answer: [],
    authority: [],
    additional: [],
    ...(edns ? { edns } : {}),
  });
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
export const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
