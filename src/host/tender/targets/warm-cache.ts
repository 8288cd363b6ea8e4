/**
 * @module host/tender/targets/warm-cache
 * A code cache for the web script that holds the functions a web unikernel always runs, not only
 * its top level. isolated-vm makes a code cache when it compiles, so only eagerly compiled code is
 * in it, and every guest would parse and compile `Response`, `Headers` and the URL parser from
 * source again on first use. Here a throwaway isolate runs the runtime and the web script, makes
 * a Response, a Request and a URL the way a handler does, then compiles the same source again: V8
 * finds the script in its compilation cache, with those functions compiled, and the code cache it
 * makes then carries them. Made once per tender process, in a few milliseconds.
 */

import ivm from "isolated-vm";

/** What every web guest does first: a handler's work, without a hypercall that needs a real answer. */
const WARM_UP = `
  (async () => {
    const request = new Request("http://example.com/a/b?c=d#e", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
    const url = new URL(request.url);
    void [url.pathname, url.search, url.searchParams.get("c"), url.host, url.origin, URL.canParse("/x", url)];
    void [request.method, request.headers.get("content-type"), await request.text()];
    const response = new Response("hello", { status: 200, headers: { "x-a": "b" } });
    response.headers.set("x-c", "d");
    void [...response.headers, response.status, response.ok, await response.clone().text(), await Response.json({ a: 1 }).json()];
  })()
`;

let enabled = true;

/**
 * For a process that holds one guest (the process target's sandboxed child): a second isolate
 * would cost more than it saves there, and its address-space limit leaves no room for one.
 */
export function disableWarmCodeCache(): void {
  enabled = false;
}

export function warmCodeCache(runtime: string, filename: string, source: string): ivm.ExternalCopy<ArrayBuffer> | undefined {
  if (!enabled) return undefined;
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = isolate.createContextSync();
    // The runtime reads the clock while it installs; nothing else is asked of the host here.
    context.global.setSync("__tsukiHypercall", new ivm.Callback((call: string) => (call === "clock.monotonic" || call === "clock.wall" ? 0 : undefined), { sync: true }));
    isolate.compileScriptSync(runtime, { filename: "tsuki:runtime" }).runSync(context, { timeout: 5000 });
    isolate.compileScriptSync(source, { filename }).runSync(context, { timeout: 5000 });
    context.evalSync(WARM_UP, { timeout: 5000 });
    const again = isolate.compileScriptSync(source, { filename, produceCachedData: true }) as ivm.Script & ivm.CachedDataResult;
    return again.cachedData;
  } catch {
    // A cache is an optimisation: without it the web script compiles as any other.
    return undefined;
  } finally {
    isolate.dispose();
  }
}
