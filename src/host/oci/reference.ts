/**
 * @module host/oci/reference
 * An image reference as `tsuki oci pack --tag` takes it, `NAME:VERSION` (`hello:1.0`,
 * `registry.example:5000/team/hello:1.0`), checked against the distribution grammar that
 * containerd and skopeo use, and the full name containerd stores it under
 * (`docker.io/library/hello:1.0`, as it names a Docker archive's images).
 */

import { TsukiError } from "../common/errors.ts";

export interface ImageReference {
  /** As written: the `org.opencontainers.image.ref.name` of the layout's index. */
  readonly ref: string;
  readonly name: string;
  readonly tag: string;
  /** With the registry and namespace a kubelet or ctr resolves a short name to. */
  readonly fullName: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME = 255;

export function parseReference(text: string, flag = "--tag"): ImageReference {
  const bad = (why: string) => new TsukiError("FLAG_VALUE", `${flag} ${JSON.stringify(text)} ${why}: write NAME:VERSION, e.g. ${flag} hello:1.0`);
  if (text.includes("@")) throw bad("names a digest; a tag is a name and a version");
  const colon = text.lastIndexOf(":");
  if (colon < 0 || text.indexOf("/", colon) >= 0) throw bad("has no version");
  const name = text.slice(0, colon);
  const tag = text.slice(colon + 1);
  if (!TAG.test(tag)) throw bad(`has a version "${tag}" that is not letters, digits, _ . - (at most 128, not starting with . or -)`);
  if (name.length === 0 || name.length > MAX_NAME) throw bad(`has a name of ${name.length} characters (1 to ${MAX_NAME})`);
  const parts = name.split("/");
  const first = parts[0]!;
  const hasDomain = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasDomain && !DOMAIN.test(first)) throw bad(`has a registry "${first}" that is not a host name with an optional port`);
  const path = hasDomain ? parts.slice(1) : parts;
  for (const part of path) if (!COMPONENT.test(part)) throw bad(`has a name part "${part}" that is not lowercase letters and digits joined by . _ __ or -`);
  const full = hasDomain ? name : `docker.io/${path.length === 1 ? "library/" : ""}${name}`;
  return { ref: text, name, tag, fullName: `${full}:${tag}` };
}
