/**
 * @module website
 * A static website from files embedded in the image (the `site/` folder), served over HTTP either
 * on the listener `web` (the host's sockets) or, when the operator binds the net device `eth`
 * instead, on tsuki/tcpip's TCP/IP stack inside the unikernel over raw Ethernet (a TAP): the same
 * image on Mirage's "socket" or "direct" stack. Run it with
 *   npm run tsuki -- run --config examples/website/run.yaml       then open http://127.0.0.1:8080/
 *   npm run tsuki -- run --config examples/website/run-tap.yaml   (see README.md: the TAP first)
 * Optional args: `maxAge` (seconds non-HTML files may be cached, default 3600) and `log` (true:
 * one console line per request), e.g. `--arg maxAge=60 --arg log=true`; on `eth`: `address`
 * ("10.0.0.2/24", or "dhcp", the default), `gateway` and `port` (default 80).
 */

import { listener, net, unikernel } from "tsuki";
import { serve } from "tsuki/http";
import { Stack, startDhcp } from "tsuki/tcpip";
import { directStackOptions } from "./direct.ts";
import { DEFAULT_OPTIONS, Site } from "./site.ts";

export default unikernel({
  devices: { web: listener({ optional: true }), eth: net({ optional: true }) },
  assets: "site",
  async start({ web, eth, assets, args, console, name, abort }) {
    const maxAge = args.maxAge ?? DEFAULT_OPTIONS.maxAge;
    if (typeof maxAge !== "number" || !Number.isSafeInteger(maxAge) || maxAge < 0) throw new TypeError(`args.maxAge must be a whole number of seconds ≥ 0, got ${JSON.stringify(maxAge)}`);
    const site = new Site(assets, { ...DEFAULT_OPTIONS, maxAge, log: args.log === true });
    const files = assets.list();
    const bytes = files.reduce((sum, file) => sum + file.size, 0);
    const handler = site.handle.bind(site);
    if (web !== undefined && eth !== undefined) abort("bind either web (the host's sockets) or eth (a TAP for the in-image TCP/IP stack), not both");
    if (web !== undefined) {
      console.log(`serving ${files.length} files (${bytes} bytes) on http://${web.address.address}:${web.address.port}/`);
      return serve(web, handler);
    }
    if (eth === undefined) return abort("no device bound: bind web (e.g. --dev web=tcp://127.0.0.1:8080) or eth (e.g. --dev eth=tap:tap0)");
    const options = directStackOptions(args);
    const stack = Stack.start(eth, options.static ?? {});
    if (options.static === undefined) {
      console.log(`asking for an address by DHCP on ${eth.name}`);
      await startDhcp(stack, { hostname: name }).bound;
    }
    console.log(`serving ${files.length} files (${bytes} bytes) on http://${stack.address}:${options.port}/ over the in-image TCP/IP stack (MAC ${[...eth.mac].map((b) => b.toString(16).padStart(2, "0")).join(":")}, MTU ${eth.mtu})`);
    return serve(stack.listen(options.port), handler);
  },
});
