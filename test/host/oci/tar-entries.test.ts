/**
 * The tar reader for what other tools write (host/oci/tar-entries.ts): folders, `./` names, PAX
 * headers' path and size, and its refusals, on tars made here byte by byte.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { writeTar } from "../../../src/host/image/tar.ts";
import { readEntries } from "../../../src/host/oci/tar-entries.ts";
import { retype } from "./layouts.ts";

const bytes = (text: string) => Buffer.from(text, "utf8");
const read = (tar: Uint8Array, max = 1 << 20) => readEntries(tar, "the tar", "OCI_LAYER", max);

/** A PAX extended header carrying `records`, followed by the entry it describes. */
function withPax(records: Record<string, string>, entry: { path: string; data: Uint8Array }): Uint8Array {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const tail = ` ${key}=${value}\n`;
      let length = tail.length + 1;
      while (String(length).length + tail.length !== length) length++;
      return `${length}${tail}`;
    })
    .join("");
  const paxTar = retype(writeTar([{ path: "PaxHeaders/x", data: bytes(body) }]), 0, "x");
  const entryTar = writeTar([entry]);
  // The PAX header and its data, then the entry and the end marker.
  const paxPart = paxTar.subarray(0, paxTar.length - 1024);
  return Buffer.concat([paxPart, entryTar]);
}

describe("the OCI tar reader", () => {
  test("folders, and names with ./ and a trailing /, are normalised; files keep their bytes", () => {
    const tar = Buffer.concat([retype(writeTar([{ path: "./blobs/", data: new Uint8Array(0) }]), 0, "5").subarray(0, 512), writeTar([{ path: "./blobs/a", data: bytes("hi") }])]);
    assert.deepEqual(read(tar).map((e) => [e.path, e.type, Buffer.from(e.data).toString()]), [["blobs", "dir", ""], ["blobs/a", "file", "hi"]]);
  });

  test("a PAX header's path replaces the entry's name", () => {
    const [entry] = read(withPax({ path: "unikernel.tsuki", mtime: "0" }, { path: "short", data: bytes("x") }));
    assert.equal(entry?.path, "unikernel.tsuki");
  });

  test("a PAX path that climbs out is ERR_OCI_LAYER_PATH", () => {
    assert.throws(() => read(withPax({ path: "a/../../etc/passwd" }, { path: "short", data: bytes("x") })), { code: "ERR_OCI_LAYER_PATH" });
  });

  test("a PAX size that is not a number is refused", () => {
    assert.throws(() => read(withPax({ size: "12x" }, { path: "f", data: bytes("x") })), { code: "ERR_OCI_LAYER" });
  });

  test("an entry over the limit is ERR_OCI_TOO_LARGE", () => {
    assert.throws(() => read(writeTar([{ path: "f", data: new Uint8Array(2000) }]), 1000), { code: "ERR_OCI_TOO_LARGE" });
  });

  test("a name twice, a symlink, an empty tar and bytes after the end marker are refused", () => {
    assert.throws(() => read(writeTar([{ path: "f", data: bytes("1") }, { path: "./f", data: bytes("2") }])), /appears twice/);
    assert.throws(() => read(retype(writeTar([{ path: "f", data: new Uint8Array(0) }]), 0, "2")), /links and devices/);
    assert.throws(() => read(writeTar([])), /empty tar/);
    const trailing = Buffer.concat([writeTar([{ path: "f", data: bytes("1") }]), Buffer.alloc(512, 1)]);
    assert.throws(() => read(trailing), /after its end-of-archive marker/);
  });
});
