/**
 * @module host/oci/spec
 * The names an OCI image carrying a tsuki image is made of: the image-spec v1.1 media types tsuki
 * writes and accepts, the descriptor, its own annotation keys, where the `.tsuki` sits in the layer, the size
 * limits unpacking holds every input to, and this host's platform in Go's spelling (GOOS/GOARCH),
 * which is what a cluster schedules by.
 */

import { endianness } from "node:os";

export const MEDIA_TYPE = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  /** What pack writes: an uncompressed tar, so the digest depends on no compressor's version. */
  layer: "application/vnd.oci.image.layer.v1.tar",
  /** Also accepted by unpack: a registry or `skopeo --dest-compress` may have compressed it. */
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** A content descriptor: what a blob is, its digest and size, and its annotations. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export const ANNOTATION = {
  /** The tag of a manifest in a layout's index.json (`skopeo … oci:DIR:TAG`). */
  refName: "org.opencontainers.image.ref.name",
  /** The full name containerd gives the image on `ctr images import`. */
  containerdName: "io.containerd.image.name",
  title: "org.opencontainers.image.title",
  version: "org.opencontainers.image.version",
  tsukiName: "dev.tsuki.image.name",
  tsukiVersion: "dev.tsuki.image.version",
  tsukiSha256: "dev.tsuki.image.sha256",
} as const;

/** The layer holds one file, here; the image config's Entrypoint names it as an absolute path. */
export const LAYER_FILE = "unikernel.tsuki";
export const ENTRYPOINT = `/${LAYER_FILE}`;

export const LAYOUT_VERSION = "1.0.0";

export const LIMITS = {
  /** index.json, a manifest, an image config: containerd refuses manifests past 4 MiB too. */
  documentBytes: 4 * 2 ** 20,
  /** The .tsuki (and so the layer and any archive entry) unless a caller chooses another. */
  imageBytes: 256 * 2 ** 20,
} as const;

const GOARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  ia32: "386",
  arm64: "arm64",
  arm: "arm",
  ppc64: endianness() === "LE" ? "ppc64le" : "ppc64",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips: "mips",
  mipsel: "mipsle",
};

const GOOS: Readonly<Record<string, string>> = { win32: "windows", sunos: "solaris" };

/** This host's platform as OCI (and Go) spell it: `{ os: "linux", architecture: "amd64" }`. */
export function hostPlatform(): { os: string; architecture: string } {
  return { os: GOOS[process.platform] ?? process.platform, architecture: GOARCH[process.arch] ?? process.arch };
}
