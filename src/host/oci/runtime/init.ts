/**
 * @module host/oci/runtime/init
 * A container's init process: the pid `create` writes to --pid-file, reaped by the shim. It
 * loads the bundle's image and its tender before it waits on exec.fifo, so that `start` boots at
 * once; then boots the unikernel with the bundle's devices, args, memory and target, prints its
 * console on its stdout (the shim's pipe: the container's log), and ends with the unikernel's exit
 * code. SIGTERM and SIGINT stop it cleanly (143, 130), as `tsuki run`.
 *
 * Not yet: joining the network namespace the spec names. Node cannot setns(2) without a native
 * helper, so listeners bind in the namespace the runtime was called in (the host's, under
 * containerd); the runtime says so in its log.
 */

import { ExitCode } from "../../../abi/exit.ts";
import { TsukiError } from "../../common/errors.ts";
import { loadImage } from "../../image/image.ts";
import { terminalSink } from "../../tender/console-output.ts";
import { TARGETS } from "../../tender/targets/index.ts";
import { Tender } from "../../tender/tender.ts";
import { readBundle } from "./bundle.ts";
import { awaitStart } from "./lifecycle.ts";
import type { ContainerStore } from "./state.ts";

export async function runInit(store: ContainerStore, id: string, warn: (message: string) => void): Promise<number> {
  const record = store.load(id);
  const bundle = readBundle(record.bundle);
  if (bundle.image === undefined) throw new TsukiError("RUNTIME_BUNDLE", `the root file system ${bundle.rootfs} holds no tsuki image`);
  const image = loadImage(bundle.image);
  if (bundle.netns !== undefined) warn(`container ${id}: its listeners bind in the runtime's network namespace, not the spec's (${bundle.netns}): joining a network namespace is not supported yet`);
  const output = terminalSink();
  const tender = new Tender({ target: TARGETS[bundle.target], console: output });

  awaitStart(store, id);

  const unikernel = await tender.boot(image, { bindings: bundle.bindings, args: bundle.args, ...(bundle.memoryMb === undefined ? {} : { memoryMb: bundle.memoryMb }) });
  const onSignal = (signal: "SIGINT" | "SIGTERM") => unikernel.stop(`stopped by ${signal}`, signal === "SIGINT" ? ExitCode.SIGINT : ExitCode.SIGTERM);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const status = await unikernel.exited;
  process.stderr.write(`tsuki: ${unikernel.name} exited with code ${status.code}: ${status.reason}\n`);
  await output.drained(2000);
  return status.code;
}
