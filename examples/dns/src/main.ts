/**
 * @module dns
 * An authoritative DNS server (tsuki/dns) for the zones embedded in the image: every file of
 * `zones/` is one zone, its origin the file's name without `.zone` (or its `$ORIGIN`). It answers
 * on the udp device `udp` and, over TCP (and zone transfers), on the listener `tcp`. Run it with
 *   npm run tsuki -- run --config examples/dns/run.yaml
 *   dig @127.0.0.1 -p 5353 www.example.com A
 * Args: `allowTransfer` (addresses allowed to AXFR, comma-separated). The same server with its
 * zones on a block device instead is examples/dns/from-block.
 */

import { listener, udp, unikernel } from "tsuki";
import { serveZones } from "./server.ts";

export default unikernel({
  devices: { udp: udp(), tcp: listener() },
  assets: "zones",
  async start({ udp, tcp, assets, args, console, exit }) {
    const files = assets.list().map((entry) => ({ path: entry.path, file: `zones/${entry.path}`, text: assets.text(entry.path)! }));
    await serveZones({ udp, tcp, files, args, console, exit });
  },
});
