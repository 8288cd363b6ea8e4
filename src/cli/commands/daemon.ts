/**
 * @module cli/commands/daemon
 * `tsuki daemon`: runs tsukid in the foreground, the one daemon per host that keeps unikernels
 * running (`serveDaemon` of tsuki/host/daemon: this reads the flags into its options). It brings back what its state directory says should run, in priority
 * order, then serves the local API on a Unix socket; SIGINT or SIGTERM stop every unikernel
 * (they come back on the next start) and end it with 0.
 */

import { TsukiError, parseSize } from "../../host/common/index.ts";
import { API_LIMIT_DEFAULTS, IMAGE_GRACE_MS, RATE_DEFAULTS, UPLOAD_DEFAULTS, parseListenAddress, publicKey, serveDaemon } from "../../host/orchestrator/index.ts";
import { parse, parseInteger } from "../support/args.ts";
import { LIMIT_FLAGS, duration, limitFlags, limitsUsage } from "../support/daemon-limits.ts";
import { tlsFlags } from "../support/daemon-tls.ts";
import { readKeyFile } from "../support/key-file.ts";
import { reporting } from "../support/remote.ts";

export const usage = `Usage: tsuki daemon [--state DIR] [flags]

Runs tsukid, which keeps this host's unikernels running: it stores what should run (and each image,
once, by SHA-256) in the state directory, boots it again after its own restart in priority order,
restarts unikernels by their restart policy, and keeps their console and stats. The tsuki commands
create, destroy, restart, list, info, console, stats and block talk to it over a Unix socket (mode
0600).
The event log (one JSON object per line) goes to stdout. SIGINT/SIGTERM stop it.

  --state DIR          the state directory (default $TSUKI_STATE, /var/lib/tsuki for root, else
                       ~/.local/state/tsuki)
  --socket PATH        the API's socket (default DIR/tsukid.sock)
  --events FILE        append the event log to FILE instead of stdout
  --max-image SIZE     the largest image it accepts, e.g. 16M (default ${API_LIMIT_DEFAULTS.maxImageBytes / 2 ** 20}M)
  --max-uploads N      image uploads under way at once (default ${UPLOAD_DEFAULTS.maxUploads}; ${UPLOAD_DEFAULTS.maxTenantUploads} per top-level tenant)
  --upload-rate SIZE   how fast one top-level tenant's uploads may arrive together, a second
                       (default ${UPLOAD_DEFAULTS.tenantBytesPerSecond / 2 ** 20}M)
  --tenant-request-rate N  requests a second one top-level tenant (with its sub-tenants) may
                       make of the remote API, in bursts of twice that (default ${RATE_DEFAULTS.perSecond}; past it
                       429 ERR_RATE_LIMITED, which the tsuki client waits out)
  --image-grace TIME   how long an uploaded image that no unikernel runs is kept for the create
                       that should follow it (default ${IMAGE_GRACE_MS / 60_000}m)
  --console-lines N    console lines kept per unikernel (default 1024)
  --trusted-key FILE   run only images signed (tsuki sign) by this Ed25519 public key, in PEM
                       (repeatable: any of them will do)
  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics, on a listener of its
                       own (plain HTTP, no authentication: bind it to loopback or a monitoring
                       network), e.g. --metrics 127.0.0.1:9464

The remote API, for tenants (mutually authenticated TLS 1.3; see "tsuki ca --help"):
  --listen HOST:PORT   also serve the API over TLS here, e.g. 127.0.0.1:8443
  --ca FILE            the one CA whose tenants may connect (ca.pem from tsuki ca create)
  --cert FILE          the daemon's certificate (server.pem from tsuki ca create)
  --key FILE           its key (server.key)

${limitsUsage}`;

export async function daemon(argv: string[]): Promise<number> {
  const { values, positionals } = parse("daemon", argv, {
    state: { type: "string" },
    socket: { type: "string" },
    events: { type: "string" },
    "max-image": { type: "string" },
    "console-lines": { type: "string" },
    "max-uploads": { type: "string" },
    "image-grace": { type: "string" },
    "upload-rate": { type: "string" },
    "tenant-request-rate": { type: "string" },
    "trusted-key": { type: "string", multiple: true },
    metrics: { type: "string" },
    listen: { type: "string" },
    ca: { type: "string" },
    cert: { type: "string" },
    key: { type: "string" },
    ...LIMIT_FLAGS,
  });
  if (values.help) return void console.log(usage), 0;
  if (positionals.length > 0) throw new TsukiError("FLAG_VALUE", `"tsuki daemon" takes no arguments; got ${positionals.join(" ")}`);
  const maxImage = values["max-image"] === undefined ? API_LIMIT_DEFAULTS.maxImageBytes : parseSize(values["max-image"], 2 ** 20);
  if (maxImage === undefined || maxImage < 1024) throw new TsukiError("FLAG_VALUE", `--max-image ${values["max-image"]} is not a size of at least 1K: write e.g. --max-image 16M`);
  const ringLines = values["console-lines"] === undefined ? 1024 : parseInteger("--console-lines", values["console-lines"]);
  if (ringLines < 1 || ringLines > 1_000_000) throw new TsukiError("FLAG_VALUE", `--console-lines ${ringLines} is out of range: give 1–1000000`);
  const maxUploads = values["max-uploads"] === undefined ? UPLOAD_DEFAULTS.maxUploads : parseInteger("--max-uploads", values["max-uploads"]);
  if (maxUploads < 1 || maxUploads > 64) throw new TsukiError("FLAG_VALUE", `--max-uploads ${maxUploads} is out of range: give 1–64`);
  const rate = values["upload-rate"] === undefined ? UPLOAD_DEFAULTS.tenantBytesPerSecond : parseSize(values["upload-rate"], 2 ** 20);
  if (rate === undefined || rate < 64 * 1024) throw new TsukiError("FLAG_VALUE", `--upload-rate ${values["upload-rate"]} is not a size of at least 64K (a second): write e.g. --upload-rate 32M`);
  const requestRate = values["tenant-request-rate"] === undefined ? RATE_DEFAULTS.perSecond : parseInteger("--tenant-request-rate", values["tenant-request-rate"]);
  if (requestRate < 1 || requestRate > 100_000) throw new TsukiError("FLAG_VALUE", `--tenant-request-rate ${requestRate} is out of range: give 1–100000 requests a second`);
  const images = { maxUploads, maxTenantUploads: Math.min(maxUploads, UPLOAD_DEFAULTS.maxTenantUploads), tenantBytesPerSecond: rate, graceMs: duration("image-grace", values["image-grace"], IMAGE_GRACE_MS, 1000, 7 * 24 * 3_600_000) };

  const trustedKeys = (values["trusted-key"] ?? []).map((file) => publicKey(readKeyFile(file), file));
  const tls = tlsFlags(values);
  const caps = limitFlags(values, tls !== undefined);
  const metricsAddress = values.metrics === undefined ? undefined : parseListenAddress(values.metrics, "--metrics");

  return reporting(async () => {
    const tsukid = await serveDaemon({
      state: values.state,
      socket: values.socket,
      events: values.events,
      maxImageBytes: maxImage,
      ringLines,
      images,
      requestRate,
      trustedKeys,
      caps,
      tls,
      metrics: metricsAddress,
    });
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    // A second signal ends it at once.
    const now = () => process.exit(1);
    process.once("SIGINT", now);
    process.once("SIGTERM", now);
    await tsukid.stop(signal);
    return 0;
  });
}
