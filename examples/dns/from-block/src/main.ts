/**
 * @module dns-block
 * examples/dns with its zones on a block device instead of in the image: the device `zones` holds
 * a tar archive of zone files (one file per zone, named as in examples/dns/zones), read once at
 * boot. Changing the zones is then replacing a file, not building an image:
 *   tar -cf /tmp/zones.tar -C examples/dns/zones .
 *   npm run tsuki -- run examples/dns/from-block --dev zones=file:/tmp/zones.tar \
 *     --dev udp=udp://127.0.0.1:5353 --dev tcp=tcp://127.0.0.1:5353
 * tsuki binds every declared device, so the choice between embedded zones and a block device is a
 * choice of image (this one or examples/dns), not an argument: neither declares a device it does
 * not use.
 */

import { block, listener, udp, unikernel } from "tsuki";
import { type ZoneText, serveZones } from "../../src/server.ts";
import { TarError, readTar } from "../../src/tar.ts";

export default unikernel({
  devices: { udp: udp(), tcp: listener(), zones: block() },
  async start({ udp, tcp, zones, args, console, exit }) {
    let files: ZoneText[];
    try {
      files = readTar(zones).map((file) => ({ path: file.path, file: `${zones.name}:${file.path}`, text: new TextDecoder("utf-8", { fatal: true }).decode(file.data) }));
    } catch (error) {
      if (!(error instanceof TarError) && !(error instanceof TypeError)) throw error;
      console.error(`device "${zones.name}": ${error.message}`);
      return exit(1);
    }
    await serveZones({ udp, tcp, files, args, console, exit });
  },
});
