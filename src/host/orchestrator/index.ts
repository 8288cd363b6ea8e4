/**
 * @module tsuki/host/daemon
 * tsukid as a library: `serveDaemon` starts it with its options (state directory, socket, event
 * log, limits, trusted keys, the remote API's TLS and connection caps, metrics), and the defaults
 * and parsers `tsuki daemon` needs to read its flags into those options. Apart from `tsuki/host`
 * so that a running daemon holds neither the build, the run configuration's YAML parser nor the
 * certificate tooling.
 */

export { type ServeOptions, type ServingDaemon, serveDaemon } from "./serve.ts";
export { SOCKET_FILE, socketPath, stateDir } from "./api/paths.ts";
export { DaemonError } from "./api/errors.ts";
export { API_LIMIT_DEFAULTS } from "./server/http-api.ts";
export { API_CAP_DEFAULTS, type ApiCaps } from "./server/api-connections.ts";
export { type TlsOptions, parseListen } from "./server/tls-listener.ts";
export { RATE_DEFAULTS } from "./server/request-rate.ts";
export { type ListenAddress, parseListenAddress } from "./metrics/metrics-server.ts";
export { IMAGE_GRACE_MS } from "./store/image-owners.ts";
export { UPLOAD_DEFAULTS } from "./store/image-upload.ts";
export { keyId, publicKey } from "../image/signing.ts";
