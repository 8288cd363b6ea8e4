/**
 * @module hono-api
 * A JSON API written with Hono (an unmodified package from npm) as a Workers-style module: the
 * default export is the app, whose `fetch(request, env, ctx)` tsuki serves on the listener `http`
 * (tsuki/workers). It keeps a to-do list in memory, streams a response as it is written, signs a
 * session cookie and issues JWTs with Hono's helpers, which use `crypto.subtle` (HMAC-SHA256).
 * Run it with
 *   npm run tsuki -- run --config examples/hono-api/run.yaml        then curl http://127.0.0.1:8787/
 * Args: `secret`, the key of the cookie's signature and of the tokens (from run.yaml or --arg).
 */

import { Hono } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { jwt, sign } from "hono/jwt";
import { streamText } from "hono/streaming";

type Env = { Bindings: { secret: string } };
interface Todo {
  id: number;
  title: string;
  done: boolean;
}

const app = new Hono<Env>();
const todos = new Map<number, Todo>();
let nextId = 1;

app.get("/", (c) => c.json({ name: "hono-api", routes: ["GET /api/todos", "POST /api/todos", "PATCH /api/todos/:id", "GET /stream", "POST /login", "GET /me", "GET /api/private"] }));

app.get("/api/todos", (c) => c.json([...todos.values()]));

app.post("/api/todos", async (c) => {
  const body = await c.req.json().catch(() => null);
  if (typeof body?.title !== "string" || body.title.length === 0) return c.json({ error: "give a JSON body with a non-empty title" }, 400);
  const todo: Todo = { id: nextId++, title: body.title, done: false };
  todos.set(todo.id, todo);
  return c.json(todo, 201);
});

app.patch("/api/todos/:id", async (c) => {
  const todo = todos.get(Number(c.req.param("id")));
  if (todo === undefined) return c.json({ error: "no such to-do" }, 404);
  const body = await c.req.json().catch(() => ({}));
  if (typeof body.done === "boolean") todo.done = body.done;
  return c.json(todo);
});

// A response written as it is made: each line leaves as soon as it is written.
app.get("/stream", (c) =>
  streamText(c, async (stream) => {
    const lines = Number(c.req.query("lines") ?? 5);
    for (let i = 1; i <= lines; i++) {
      await stream.writeln(`line ${i} of ${lines}`);
      await stream.sleep(20);
    }
  }),
);

// Signs in: a session cookie signed with the secret, and a token for the API.
app.post("/login", async (c) => {
  const body = await c.req.json().catch(() => null);
  if (typeof body?.user !== "string" || !/^[a-z0-9_-]{1,32}$/.test(body.user)) return c.json({ error: "give a JSON body with a user of 1–32 letters, digits, '-' or '_'" }, 400);
  await setSignedCookie(c, "session", body.user, c.env.secret, { httpOnly: true, path: "/", sameSite: "Strict" });
  const token = await sign({ sub: body.user, exp: Math.floor(Date.now() / 1000) + 3600 }, c.env.secret, "HS256");
  return c.json({ token });
});

app.get("/me", async (c) => {
  const user = await getSignedCookie(c, c.env.secret, "session");
  if (!user) return c.json({ error: "not signed in (or the cookie's signature is wrong)" }, 401);
  return c.json({ user });
});

app.use("/api/private", (c, next) => jwt({ secret: c.env.secret, alg: "HS256" })(c, next));
app.get("/api/private", (c) => c.json({ hello: (c.get("jwtPayload") as { sub: string }).sub }));

app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.json({ error: "internal error" }, 500)));

export default app;
