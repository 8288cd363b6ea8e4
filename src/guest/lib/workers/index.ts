/**
 * @module tsuki/workers
 * A Workers-style module (`export default { fetch(request, env, ctx) }`, the shape Cloudflare
 * Workers, `deno serve` and Bun take, and what a Hono app is) as a unikernel. `tsuki build` finds
 * such a default export and builds the module through `workersUnikernel` (host/build/workers.ts),
 * so the module's source stays as it is:
 *
 * - it is served with `tsuki/http` on a listener named `http` (bind it: `--dev http=tcp://…`);
 * - its devices are a named export next to the default one, declared as a unikernel declares
 *   them: `export const devices = { api: connector({ origin: "https://api.example.com" }) }`
 *   (`http` is added as a `listener()` if absent);
 * - `env` holds its args and its devices but `http` (an arg named like a device stops the boot);
 * - `ctx.waitUntil(promise)` lets work go on after the response (a rejection is logged);
 *   `ctx.passThroughOnException()` does nothing: there is no origin behind the unikernel.
 */

import type { DeviceKind } from "../../../abi/devices.ts";
import { type DeviceDeclaration, listener } from "../../sdk/devices.ts";
import { unikernel } from "../../sdk/unikernel.ts";
import { serve } from "../http/index.ts";

/** What a Workers-style handler receives as its third argument. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  readonly props: Record<string, unknown>;
}

/** The module as `import * as worker` sees it. */
export interface WorkersModule {
  readonly default: { fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Response | Promise<Response> };
  readonly devices?: Record<string, DeviceDeclaration<DeviceKind>>;
}

const CONTEXT_KEYS = new Set(["console", "args", "assets", "name", "exit", "abort", "http"]);

export function workersUnikernel(module: WorkersModule) {
  const handler = module.default;
  const declared = (module.devices ?? {}) as Record<string, DeviceDeclaration<DeviceKind>>;
  if (typeof declared !== "object" || declared === null) throw new TypeError("export const devices must be an object of device declarations, e.g. { api: connector({ origin }) }");
  if (declared.http !== undefined && (declared.http as { kind?: unknown }).kind !== "listener") {
    throw new TypeError(`a Workers-style module is served on the listener named "http", but its devices declare http as a ${(declared.http as { kind?: unknown }).kind}: rename that device`);
  }
  return unikernel({
    devices: { ...declared, http: declared.http ?? listener() } as unknown as Record<string, DeviceDeclaration<DeviceKind>>,
    async start(context: Record<string, unknown>) {
      const args = context.args as Record<string, unknown>;
      const env: Record<string, unknown> = { ...args };
      for (const [key, value] of Object.entries(context)) {
        if (CONTEXT_KEYS.has(key)) continue;
        if (Object.hasOwn(env, key)) throw new TypeError(`env.${key} would be both an arg and a device: rename the arg (--arg ${key}=…)`);
        env[key] = value;
      }
      Object.freeze(env);
      const log = context.console as Console;
      await serve(context.http as never, (request) =>
        handler.fetch(request, env, {
          waitUntil(promise) {
            Promise.resolve(promise).catch((error: unknown) => log.error("ctx.waitUntil: a promise failed:", error));
          },
          passThroughOnException() {},
          props: {},
        }),
      );
    },
  } as never);
}
