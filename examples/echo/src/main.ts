// The TCP echo server: every connection gets back what it sends, until it half-closes (Seastar's
// handle_connection loop). Run it with: tsuki run examples/echo --dev tcp=tcp://127.0.0.1:7000
import { listener, unikernel, type Connection } from "tsuki";

async function echo(conn: Connection): Promise<void> {
  try {
    for await (const chunk of conn) await conn.write(chunk);
    await conn.end();
  } catch (error) {
    console.error(`connection from ${conn.remote.address}:${conn.remote.port}:`, (error as Error).message);
    conn.close();
  }
}

export default unikernel({
  devices: { tcp: listener() },
  async start({ tcp, console }) {
    console.log(`echo on ${tcp.address.address}:${tcp.address.port}`);
    for await (const conn of tcp) void echo(conn);
  },
});
