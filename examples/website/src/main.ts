/**
 * @module website
 * A static website from files embedded in the image (the `site/` folder), served over HTTP on the
 * listener `web`. Run it with
 *   npm run tsuki -- run --config examples/website/run.yaml     then open http://127.0.0.1:8080/
 * Optional args: `maxAge` (seconds non-HTML files may be cached, default 3600) and `log` (true:
 * one console line per request), e.g. `--arg maxAge=60 --arg log=true`.
 */

import { listener, unikernel } from "tsuki";
import { serve } from "tsuki/http";
import { DEFAULT_OPTIONS, Site } from "./site.ts";

export default unikernel({
  devices: { web: listener() },
  assets: "site",
  async start({ web, assets, args, console }) {
    const maxAge = args.maxAge ?? DEFAULT_OPTIONS.maxAge;
    if (typeof maxAge !== "number" || !Number.isSafeInteger(maxAge) || maxAge < 0) throw new TypeError(`args.maxAge must be a whole number of seconds ≥ 0, got ${JSON.stringify(maxAge)}`);
    const site = new Site(assets, { ...DEFAULT_OPTIONS, maxAge, log: args.log === true });
    const files = assets.list();
    const bytes = files.reduce((sum, file) => sum + file.size, 0);
    console.log(`serving ${files.length} files (${bytes} bytes) on http://${web.address.address}:${web.address.port}/`);
    await serve(web, (request) => site.handle(request));
  },
});
