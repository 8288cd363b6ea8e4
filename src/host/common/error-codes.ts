/**
 * @module host/common/error-codes
 * The one table of the host's error codes: for each, what it means, the exit code the `tsuki`
 * command ends with, and the HTTP status tsukid's API answers with where the API can return it.
 * `TsukiError` (and its subclass `DaemonError`) take their exit code and status from here, the
 * `tsuki` client rebuilds an error answer from the code and exit it carries, and docs/errors.md
 * is generated from this table (scripts/errors-doc.ts; a test checks that it is up to date).
 * A code is `ERR_` and a key of this table; codes never change, messages may improve.
 *
 * Three codes name a bad value by where it was written, on purpose: `FLAG_VALUE` (a command-line
 * flag: a usage error, exit 64), `CONFIG_VALUE` (a key of a run configuration file, with its line
 * and column: a configuration error, exit 78) and `REQUEST_VALUE` (a field of an API request:
 * HTTP 400). They are not folded into one: the exit codes differ (a script tells a mistyped
 * command from a bad file by them), and the code alone tells the user which input to fix. Two
 * codes that meant the same thing were folded: `IMAGE_UNKNOWN` (tsukid holds no image with that
 * SHA-256) is `IMAGE_NOT_FOUND`, as a missing image file is.
 *
 * The guest libraries' codes (`ERR_KV_*`, `ERR_DNS_*`) and the device errno codes (`EPIPE`, …)
 * are not here: they are raised inside a unikernel, not by the host.
 */

import { ExitCode } from "../../abi/exit.ts";

/** sysexits(3) codes the host uses beyond those of src/abi/exit.ts. */
const EX_NOINPUT = 66;
const EX_UNAVAILABLE = 69;
const EX_CANTCREAT = 73;
const EX_TEMPFAIL = 75;
const EX_NOPERM = 77;

/** A tender's error carried over the API: the client's to fix (its configuration or image). */
const UNPROCESSABLE = 422;

export interface ErrorCodeInfo {
  /** What the code means: when it is raised, and what fixes it. */
  readonly meaning: string;
  /** The exit code of the `tsuki` command that ends with this error. */
  readonly exit: number;
  /** The HTTP status of tsukid's API answer; absent for codes only the command line raises. */
  readonly status?: number;
}

export const ERROR_CODES = {
  // ---- the command line
  UNKNOWN_COMMAND: { exit: ExitCode.USAGE, meaning: "a command tsuki does not have (tsuki --help lists them)" },
  UNKNOWN_FLAG: { exit: ExitCode.USAGE, meaning: "a flag the command does not take (tsuki COMMAND --help lists them)" },
  FLAG_VALUE: { exit: ExitCode.USAGE, status: UNPROCESSABLE, meaning: "a command-line flag or argument with a malformed or out-of-range value, named as written (--mem 3X, --dev web=…); also a key or signature file a flag names that cannot be read" },
  MISSING_ARGUMENT: { exit: ExitCode.USAGE, meaning: "a required argument or flag is missing (an image, a name, --key)" },
  NODE_VERSION: { exit: ExitCode.INTERNAL, meaning: "the Node.js that runs tsuki is too old, and the Node.js tsuki pins (its dependency \"node\") is missing or cannot start: reinstall tsuki with its dependencies (bin/pinned-node.js)" },
  // ---- devices and limits
  DEV_MALFORMED: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a device binding that is not NAME=URI, or whose URI does not parse for its scheme" },
  DEV_ORIGIN: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a connector that declares an origin is bound to what cannot serve it (an https origin needs a tls:// binding verified for its host, an http origin a tcp:// one)" },
  DEV_BOUND_TWICE: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "one device bound twice (by two flags, or in the file and by a flag)" },
  DEV_UNBOUND: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a device the image declares is not bound: the message gives the --dev that binds it" },
  DEV_UNDECLARED: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a binding names a device the image does not declare" },
  DEV_WRONG_KIND: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a binding of another kind than the device declared (a listener bound to udp://…)" },
  DEV_UNSUPPORTED: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a binding this target or host cannot give (a scheme, an option)" },
  DEV_OPEN: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "a bound resource cannot be opened: an address in use, a block file that cannot be read or made" },
  // ---- net devices: attaching a TAP interface
  TAP_UNAVAILABLE: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "no /dev/net/tun, or the TAP addon cannot be built: modprobe tun, or --device /dev/net/tun in a container" },
  TAP_PERMISSION: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "this user may not attach the TAP interface: create it with user $USER" },
  TAP_BUSY: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "another process is attached to the TAP interface" },
  TAP_OPEN: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "the interface cannot be attached as a TAP (it is not one, or another error)" },
  // ---- the run configuration file (tsuki run --config)
  CONFIG_FILE: { exit: ExitCode.CONFIG, meaning: "the run configuration file cannot be read" },
  CONFIG_SYNTAX: { exit: ExitCode.CONFIG, meaning: "the run configuration file is not YAML (or holds more than one document)" },
  CONFIG_KEY: { exit: ExitCode.CONFIG, meaning: "an unknown key, a key written twice, a device name that is not an identifier, an unknown option of a tag" },
  CONFIG_TAG: { exit: ExitCode.CONFIG, meaning: "a device without a tag, an unknown tag, a tag outside devices" },
  CONFIG_VALUE: { exit: ExitCode.CONFIG, meaning: "a value of the file of the wrong type or out of range (memory, cpu-ms, target, console's rate and burst, a tag's URI or options), named by its key, line and column" },
  // ---- targets
  SANDBOX_UNAVAILABLE: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "the process target cannot build a wall it promises on this host (tsuki doctor says which)" },
  MEMORY_GUARD_UNAVAILABLE: { exit: ExitCode.CONFIG, status: UNPROCESSABLE, meaning: "the heap guard that holds --mem on the isolate and process targets cannot be built on this host (tsuki doctor says why)" },
  // ---- images
  IMAGE_NOT_FOUND: { exit: ExitCode.BAD_IMAGE, status: 404, meaning: "no image there: no file at the path given, or tsukid holds no image with that SHA-256 (the tsuki client uploads it then)" },
  IMAGE_TRUNCATED: { exit: ExitCode.BAD_IMAGE, status: UNPROCESSABLE, meaning: "the image file ends before its archive does" },
  IMAGE_MALFORMED: { exit: ExitCode.BAD_IMAGE, status: UNPROCESSABLE, meaning: "the image is not a tsuki image archive" },
  IMAGE_TAMPERED: { exit: ExitCode.BAD_IMAGE, status: UNPROCESSABLE, meaning: "a part of the image does not hash to what its manifest says" },
  IMAGE_MANIFEST: { exit: ExitCode.BAD_IMAGE, status: UNPROCESSABLE, meaning: "the image's manifest is missing a key or holds a bad value" },
  IMAGE_ABI: { exit: ExitCode.BAD_IMAGE, status: UNPROCESSABLE, meaning: "the image was built for another ABI version than this tender's" },
  IMAGE_HASH: { exit: ExitCode.BAD_IMAGE, status: 400, meaning: "uploaded bytes do not hash to the SHA-256 they were sent under" },
  IMAGE_UNSIGNED: { exit: ExitCode.BAD_IMAGE, status: 403, meaning: "the daemon trusts keys (--trusted-key) and the image carries no signature" },
  SIGNATURE_INVALID: { exit: ExitCode.BAD_IMAGE, status: 403, meaning: "the signature is malformed, for another image, by an untrusted key, or does not verify" },
  // ---- OCI images (tsuki oci pack / unpack)
  OCI_LAYOUT: { exit: ExitCode.BAD_IMAGE, meaning: "not an OCI image layout folder or oci-archive: no oci-layout or index.json, a layout version other than 1.0.0, an archive entry no layout holds, or a path that cannot be read" },
  OCI_MALFORMED: { exit: ExitCode.BAD_IMAGE, meaning: "an OCI index, manifest or image config that is not JSON, or has a field of the wrong type or value (schemaVersion, a descriptor's digest or size, rootfs)" },
  OCI_MEDIA_TYPE: { exit: ExitCode.BAD_IMAGE, meaning: "a descriptor or document of a media type tsuki does not unpack (a nested index, a Docker manifest, a zstd layer, a config of another kind)" },
  OCI_BLOB_MISSING: { exit: ExitCode.BAD_IMAGE, meaning: "a blob the index or a manifest names is not in the layout or archive" },
  OCI_DIGEST: { exit: ExitCode.BAD_IMAGE, meaning: "bytes that do not hash to what names them: a blob and its descriptor's digest or size, the layer and the config's diff_id, the .tsuki and its dev.tsuki.image.sha256 annotation" },
  OCI_REF: { exit: EX_NOINPUT, meaning: "the index holds no manifest of the --tag asked for, or several and no --tag chose one (the message lists the tags)" },
  OCI_LAYER: { exit: ExitCode.BAD_IMAGE, meaning: "a manifest without exactly one layer, or a layer that is not a tar holding only the regular file unikernel.tsuki" },
  OCI_LAYER_PATH: { exit: ExitCode.BAD_IMAGE, meaning: "a tar entry (of the layer or of the archive) whose path is absolute or climbs out with ..: refused before anything is written" },
  OCI_TOO_LARGE: { exit: ExitCode.BAD_IMAGE, meaning: "a JSON document over 4 MiB, or a layer, archive entry or .tsuki over the size unpack accepts" },
  OCI_ANNOTATION: { exit: ExitCode.BAD_IMAGE, meaning: "the manifest lacks an annotation tsuki needs (dev.tsuki.image.sha256, dev.tsuki.image.name), or its name differs from the image's" },
  OCI_OUT: { exit: EX_CANTCREAT, meaning: "tsuki oci pack --out names a folder that exists and is not empty, or an output that cannot be written" },
  // ---- tsuki-runtime (the OCI runtime containerd's shim drives)
  RUNTIME_BUNDLE: { exit: ExitCode.CONFIG, meaning: "an OCI bundle tsuki-runtime cannot run: no config.json, not JSON, a field of the wrong type (root.path, process.args, linux.resources.memory.limit, linux.namespaces), or a memory limit out of range" },
  RUNTIME_ANNOTATION: { exit: ExitCode.CONFIG, meaning: "a tsuki.dev/ annotation tsuki-runtime does not know (it knows tsuki.dev/device.NAME, tsuki.dev/arg.KEY, tsuki.dev/target), or one whose value is malformed" },
  RUNTIME_UNSUPPORTED: { exit: ExitCode.USAGE, meaning: "a runc feature a unikernel cannot have: --console-socket (a unikernel has no terminal), or a command tsuki-runtime does not implement yet (exec, pause, checkpoint, …)" },
  RUNTIME_CONTAINER: { exit: EX_NOINPUT, meaning: "no container of that id under --root (start, state, kill or delete before create, or after delete), or create of an id that exists; an id that is not letters, digits and _+-." },
  RUNTIME_STATE: { exit: EX_TEMPFAIL, meaning: "a command the container's state does not allow: start when it is not created, kill when it is stopped (without --all), delete when it is running (without --force)" },
  RUNTIME_RUNC: { exit: EX_UNAVAILABLE, meaning: "a bundle without a tsuki image (/unikernel.tsuki in its root file system) is handed to runc, and runc is not installed (or cannot be started)" },
  // ---- building
  BUILD_INPUT: { exit: ExitCode.USAGE, meaning: "what tsuki build was given is not a unikernel folder it can build: not a folder, a package.json that is not valid JSON or lacks a usable name, version or main" },
  BUILD_IMPORT: { exit: ExitCode.BAD_IMAGE, meaning: "an import a unikernel cannot have (a Node built-in, a package that needs one), with file and line" },
  BUILD_GLOBAL: { exit: ExitCode.BAD_IMAGE, meaning: "a global a unikernel does not have (process, Buffer, require, __dirname), with file and line" },
  BUILD_TYPE: { exit: ExitCode.BAD_IMAGE, meaning: "a type error against the global scope a unikernel really gets (--no-check skips the check)" },
  BUILD_DECLARATION: { exit: ExitCode.BAD_IMAGE, meaning: "the default export is neither unikernel({ … }) nor a Workers-style module, or its declaration is not plain data" },
  BUILD_ASSETS: { exit: ExitCode.BAD_IMAGE, meaning: "the assets folder named by unikernel({ assets }) is missing, outside the unikernel's folder, or holds what cannot be embedded" },
  // ---- scaffolding
  NEW_EXISTS: { exit: ExitCode.USAGE, meaning: "tsuki new into a folder that is not empty, or onto a file" },
  // ---- tsukid's API: requests
  REQUEST_MALFORMED: { exit: ExitCode.USAGE, status: 400, meaning: "not JSON, wrong types, unknown keys, an unknown route, a path segment whose percent-encoding is malformed, a body nested more than 32 levels deep" },
  REQUEST_VALUE: { exit: ExitCode.USAGE, status: 400, meaning: "a field of an API request of the right type but out of range (memory, CPU, priority, target, restart policy, a volume's size), named by its field" },
  REQUEST_TOO_LARGE: { exit: ExitCode.USAGE, status: 413, meaning: "a body larger than the daemon accepts (images: tsuki daemon --max-image)" },
  NAME_INVALID: { exit: ExitCode.USAGE, status: 400, meaning: "a unikernel or volume name that is not letters, digits and dashes" },
  NAME_TAKEN: { exit: EX_CANTCREAT, status: 409, meaning: "a unikernel or volume of that name exists already (of two creates at once, exactly one wins)" },
  NOT_FOUND: { exit: EX_NOINPUT, status: 404, meaning: "no unikernel or volume of that name here (another tenant's is answered the same way)" },
  BLOCK_NOT_FOUND: { exit: EX_NOINPUT, status: 404, meaning: "a create binds a block volume that does not exist (or whose file has gone): tsuki block create it first" },
  BLOCK_IN_USE: { exit: EX_TEMPFAIL, status: 409, meaning: "tsuki block destroy of a volume a unikernel binds: destroy the unikernel first" },
  RATE_LIMITED: { exit: EX_TEMPFAIL, status: 429, meaning: "a tenant (with its sub-tenants) made more requests a second than the daemon takes: wait (Retry-After; the tsuki client does)" },
  UPLOADS_BUSY: { exit: EX_TEMPFAIL, status: 429, meaning: "as many image uploads are under way as the daemon takes (in all, or for this tenant): try again" },
  CONSOLE_BUSY: { exit: EX_TEMPFAIL, status: 429, meaning: "a unikernel's console already has as many followers as it takes" },
  CONNECTION_LIMIT: { exit: EX_TEMPFAIL, status: 429, meaning: "the tenant holds --max-tenant-connections already, or all tenants --max-authenticated: end some, try again" },
  // ---- tsukid itself
  DAEMON_UNREACHABLE: { exit: EX_UNAVAILABLE, meaning: "the client cannot reach the daemon's socket (a request cut off may or may not have been carried out)" },
  DAEMON_RUNNING: { exit: EX_UNAVAILABLE, status: 409, meaning: "another daemon already answers on the socket" },
  METRICS_LISTEN: { exit: ExitCode.CONFIG, status: 500, meaning: "the metrics listener (--metrics ADDR:PORT) cannot listen: the address is in use or not on this host" },
  DESCRIPTORS: { exit: ExitCode.CONFIG, status: 500, meaning: "the process may open too few files for what it was asked to serve (RLIMIT_NOFILE against the descriptor reserve)" },
  STATE_DIR: { exit: ExitCode.CONFIG, status: 500, meaning: "the state directory cannot be made, read or locked" },
  INTERNAL: { exit: ExitCode.INTERNAL, status: 500, meaning: "a bug in tsukid" },
  // ---- certificates and policies
  CERT_FILE: { exit: ExitCode.CONFIG, status: 400, meaning: "a certificate or key file that cannot be read, parsed, or would be overwritten (tsuki ca / cert, --cert, --key, --ca)" },
  CERT_INVALID: { exit: EX_NOPERM, status: 403, meaning: "a client chain the daemon cannot map to a tenant: a leaf issued by the CA itself, a tenant certificate without a policy or with a bad CN, no or a forged tsuki-chain header" },
  POLICY_INVALID: { exit: ExitCode.USAGE, status: 400, meaning: "a malformed or out-of-range policy (a policy file, --max-unikernels, …, or in a certificate)" },
  POLICY_EXCEEDS_PARENT: { exit: EX_NOPERM, status: 403, meaning: "a tenant's policy does not fit inside its parent's (each excess named)" },
  POLICY_BUDGET: { exit: EX_NOPERM, status: 403, meaning: "a create that would take the tenant or an ancestor past its budget: unikernels, memory, storage" },
  POLICY_DENIED: { exit: EX_NOPERM, status: 403, meaning: "what the policy does not allow: a target, a listen address or port, a device kind, a host path or another tenant's volume in a block binding" },
  // ---- the client's side of TLS (the daemon never answers with these: it closes the handshake)
  TLS_CERT_UNTRUSTED: { exit: EX_NOPERM, meaning: "client side: the daemon refused our certificate because another CA issued it" },
  TLS_CERT_EXPIRED: { exit: EX_NOPERM, meaning: "client side: a certificate of our chain has expired or is not valid yet" },
  TLS_CERT_REQUIRED: { exit: EX_NOPERM, meaning: "client side: the daemon wants a client certificate and we sent none" },
  TLS_SERVER_UNTRUSTED: { exit: EX_NOPERM, meaning: "client side: the daemon's certificate does not verify with our --ca, or is not for the host we asked for" },
  TLS_HANDSHAKE: { exit: EX_UNAVAILABLE, meaning: "client side: any other TLS failure (a protocol below TLS 1.3, a broken handshake; see the daemon's tls-refused events)" },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCodeName = keyof typeof ERROR_CODES;

/** Whether `name` (without `ERR_`) is a code of the table. */
export function isErrorCodeName(name: string): name is ErrorCodeName {
  return Object.hasOwn(ERROR_CODES, name);
}
