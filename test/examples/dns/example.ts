/**
 * Starting examples/dns (either image) with the tsuki command in a child process, the way an
 * operator does, on one port for UDP and TCP.
 */

import { type Child, start as startTsuki, waitForOutput } from "../../cli/spawn.ts";

export const SERVING = /serving \d+ zones?: /;

/** Runs `image` with udp and tcp bound to 127.0.0.1:`port`; resolves once it logged its zones. */
export async function startExample(image: string, port: number, extra: readonly string[] = []): Promise<Child> {
  const child = startTsuki(["run", image, "--mem", "64M", "--dev", `udp=udp://127.0.0.1:${port}`, "--dev", `tcp=tcp://127.0.0.1:${port}`, ...extra]);
  await waitForOutput(child, (out) => SERVING.test(out));
  return child;
}
