/**
 * @module test/host/sandbox/inherited-fd
 * A tender run as its own program by escape.test.ts, which starts it holding a descriptor its
 * parent left open without close-on-exec (argv[2] is its number). It boots one process-target
 * unikernel whose process takes escape frames, and from there, outside the isolate as if V8 had
 * fallen, writes to that descriptor number and looks for every descriptor up to 1024 that is
 * open. Prints the result as one line of JSON and exits.
 */

import { createProcessTarget, drainProcessTarget, type ProcessGuest } from "../../../src/host/tender/targets/process.ts";
import { Tender } from "../../../src/host/tender/tender.ts";
import { buildSource } from "../../helpers.ts";

const fd = Number(process.argv[2]);
const inner = createProcessTarget({ escapes: true, permission: false });
let guest: ProcessGuest | undefined;
const target = { ...inner, create: async (o: Parameters<typeof inner.create>[0]) => (guest = (await inner.create(o)) as ProcessGuest) };
const tender = new Tender({ target, console: { line() {} } });
await tender.boot(await buildSource(`import { unikernel } from "tsuki";\nexport default unikernel({ start() { setTimeout(() => {}, 60000); } });\n`));
const result = await guest!.escape(`
  const fs = require("fs");
  let write;
  try { fs.writeSync(${fd}, "written from inside the sandbox\\n"); write = "SUCCEEDED"; } catch (e) { write = e.code ?? String(e); }
  const open = [];
  for (let n = 0; n < 1024; n++) { try { fs.fstatSync(n); open.push(n); } catch {} }
  return { write, open };
`);
process.stdout.write(`${JSON.stringify(result)}\n`);
await tender.stopAll();
drainProcessTarget();
