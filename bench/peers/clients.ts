/**
 * Misbehaving clients for `npm run bench:http`'s memory checks, run in their own process so that
 * their sockets count against their own file limit, not the tender's:
 *
 * - `idle PORT N`: opens N connections, sends nothing, prints `open N` once all are up, and then
 *   `closed K` as the server closes them.
 * - `slow PORT`: pipelines GET requests on one connection as fast as the kernel takes them and
 *   never reads; prints `sent BYTES` every 500 ms.
 */

import { type Socket, connect } from "node:net";

const [mode, portText, countText] = process.argv.slice(2);
const port = Number(portText);

if (mode === "idle") {
  const count = Number(countText);
  const sockets: Socket[] = [];
  let closed = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" }, () => resolve());
      socket.on("error", reject);
      socket.on("close", () => {
        closed++;
        if (closed % 1000 === 0 || closed === count) console.log(`closed ${closed}`);
      });
      sockets.push(socket);
    });
  for (let i = 0; i < count; i += 200) await Promise.all(Array.from({ length: Math.min(200, count - i) }, open));
  console.log(`open ${sockets.length}`);
} else if (mode === "slow") {
  const request = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(256));
  const socket = connect({ port, host: "127.0.0.1" });
  socket.pause(); // never read
  let sent = 0;
  const pump = () => {
    while (socket.write(request)) sent += request.length;
    sent += request.length;
  };
  socket.on("connect", pump);
  socket.on("drain", pump);
  socket.on("error", (error) => console.log(`error ${error.message}`));
  setInterval(() => console.log(`sent ${sent} ${socket.writableLength}`), 500);
} else {
  console.error("usage: clients.ts idle PORT N | slow PORT");
  process.exit(64);
}
