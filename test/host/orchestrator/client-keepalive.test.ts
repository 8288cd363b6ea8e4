/**
 * The remote client's kept-alive connections when the other end drops one: a TLS 1.3 server
 * (Node's, with the test CA's certificates) answers the first request of each connection and
 * closes the connection without answering the second, as a daemon closing an idle connection
 * at the moment a request is sent on it would. A request that is safe to repeat is sent again on
 * a new connection; a create is not, and says it may or may not have been carried out.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { after, before, test } from "node:test";
import { DaemonClient } from "../../../src/host/orchestrator/api/client.ts";
import type { RemoteError } from "../../../src/host/orchestrator/api/errors.ts";
import { POLICY, makeCa, makeTenant, target } from "./pki.ts";

let server: ReturnType<typeof createServer>;
let client: DaemonClient;
let connections = 0;
const seen: string[] = [];

before(async () => {
  const ca = await makeCa();
  const tenant = await makeTenant(ca, "acme", POLICY);
  const served = new WeakMap<TLSSocket, number>();
  server = createServer({ ca: readFileSync(ca.caPem), cert: readFileSync(ca.serverPem), key: readFileSync(ca.serverKey), requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const n = (served.get(socket) ?? 0) + 1;
    served.set(socket, n);
    seen.push(`${req.method} ${n}`);
    if (n > 1) return void socket.destroy();
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ unikernels: [], name: "x" })));
  });
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = new DaemonClient(target(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca, tenant));
});
after(() => {
  client.close();
  server.close();
});

test("a GET on a connection the server dropped is sent again on a new one; a create is not, and says so", async () => {
  assert.deepEqual(await client.listUnikernels(), []);
  assert.deepEqual(await client.listUnikernels(), []);
  assert.deepEqual(seen, ["GET 1", "GET 2", "GET 1"]);
  assert.equal(connections, 2);
  await assert.rejects(client.call("POST", "/v1/unikernels", { name: "x" }), (e: RemoteError) => {
    assert.equal(e.code, "ERR_DAEMON_UNREACHABLE");
    assert.match(e.message, /closed before it answered POST \/v1\/unikernels, so it may or may not have been carried out/);
    return true;
  });
  assert.deepEqual(seen.slice(3), ["POST 2"]);
});
