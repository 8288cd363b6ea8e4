/**
 * A client that sends and never reads, in a process of its own: `sender.ts PORT N` opens N
 * connections to 127.0.0.1:PORT and writes to each as fast as the kernel takes the bytes, until a
 * line on stdin; then prints `sent BYTES` and exits.
 */

import { connect } from "node:net";

const [portText, countText] = process.argv.slice(2);
const chunk = Buffer.alloc(64 * 1024, 0x61);
let sent = 0;
const sockets = Array.from({ length: Number(countText) }, () => {
  const socket = connect({ port: Number(portText), host: "127.0.0.1" });
  socket.on("error", () => undefined);
  socket.pause();
  const pump = () => {
    while (!socket.destroyed && socket.write(chunk)) sent += chunk.length;
  };
  socket.on("connect", pump);
  socket.on("drain", pump);
  return socket;
});
process.stdout.write("sending\n");
process.stdin.once("data", () => {
  for (const s of sockets) s.destroy();
  process.stdout.write(`sent ${sent}\n`);
  process.exit(0);
});
