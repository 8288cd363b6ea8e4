// A key-value service over HTTP, its data in a crash-safe store on a block device (tsuki/kv).
// Run it with `npm run tsuki -- run --config examples/kv/run.yaml`, then:
//   curl -X PUT --data-binary 'hello' http://127.0.0.1:8081/kv/greeting    → 201 (204 when replaced)
//   curl http://127.0.0.1:8081/kv/greeting                                  → hello
//   curl 'http://127.0.0.1:8081/kv?prefix=gr&limit=10'                      → {"keys":["greeting"],"next":null}
//   curl -X DELETE http://127.0.0.1:8081/kv/greeting                        → 204 (404 when absent)
// A PUT or DELETE is answered only once the change is on the device and flushed.
import { block, listener, unikernel } from "tsuki";
import { Response, URL, serve } from "tsuki/http";
import { KV, KVError } from "tsuki/kv";

const LIST_DEFAULT = 1000;
const LIST_MAX = 10_000;

const text = (status: number, body: string, headers: Record<string, string> = {}) => new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

export default unikernel({
  devices: { web: listener(), data: block() },
  async start({ web, data, console }) {
    const db = await KV.open(data);
    const s = db.stats();
    console.log(`store on "${data.name}": ${s.keys} keys, ${s.liveBytes} of ${s.capacityBytes} bytes live, generation ${s.generation}${s.tornTail ? ", a torn last commit was ignored" : ""}`);
    console.log(`listening on http://${web.address.address}:${web.address.port}/`);

    /** Maps the store's errors to statuses; anything else goes to serve's onError (500). */
    const guarded = async (work: () => Promise<Response>): Promise<Response> => {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof KVError)) throw error;
        if (error.code === "ERR_KV_KEY") return text(400, error.message);
        if (error.code === "E2BIG") return text(413, error.message);
        if (error.code === "ENOSPC") return text(507, error.message);
        if (error.code === "ERR_KV_FAILED") return text(503, error.message);
        throw error;
      }
    };

    await serve(
      web,
      (request) => {
        const url = new URL(request.url);
        const method = request.method;
        const path = url.pathname;
        if (path === "/") return text(200, "tsuki kv: GET|PUT|DELETE /kv/<key>, GET /kv?prefix=&start=&limit=, GET /stats");
        if (path === "/stats") return method === "GET" || method === "HEAD" ? Response.json(db.stats()) : text(405, "use GET", { allow: "GET, HEAD" });
        if (path === "/kv" || path === "/kv/") {
          if (method !== "GET" && method !== "HEAD") return text(405, "use GET to list keys", { allow: "GET, HEAD" });
          const q = url.searchParams;
          const limitText = q.get("limit");
          const limit = limitText === null ? LIST_DEFAULT : Number(limitText);
          if (!/^\d+$/.test(limitText ?? "0") || limit > LIST_MAX) return text(400, `limit must be an integer from 0 to ${LIST_MAX}`);
          const keys = db.list({ prefix: q.get("prefix") ?? "", start: q.get("start") ?? "", limit: limit + 1 });
          const next = keys.length > limit ? keys.pop()! : null;
          return Response.json({ keys, next });
        }
        if (!path.startsWith("/kv/")) return text(404, "not found: the keys are under /kv/");
        let key: string;
        try {
          key = decodeURIComponent(path.slice("/kv/".length));
        } catch {
          return text(400, "the key is not valid percent-encoded UTF-8");
        }
        return guarded(async () => {
          switch (method) {
            case "GET":
            case "HEAD": {
              const value = db.get(key);
              return value ? new Response(value, { headers: { "content-type": "application/octet-stream" } }) : text(404, "no such key");
            }
            case "PUT":
              return (await db.put(key, await request.bytes())) ? new Response(null, { status: 201 }) : new Response(null, { status: 204 });
            case "DELETE":
              return (await db.delete(key)) ? new Response(null, { status: 204 }) : text(404, "no such key");
            default:
              return text(405, `${method} is not allowed on a key`, { allow: "GET, HEAD, PUT, DELETE" });
          }
        });
      },
      { maxBodyBytes: db.maxValueBytes },
    );
  },
});
