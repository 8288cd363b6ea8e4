/**
 * The one table of error codes that cross the ABI (src/abi/errors.ts) and the guest's one shape of
 * a system error (src/guest/sdk/errors.ts): every code the host's devices and validation send is
 * listed with a meaning, a Node code the table does not list crosses as EIO, every errno the guest
 * runtime and libraries throw through `systemError` is in the table, and the error reads like
 * Node's.
 */

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { Errno, TlsCertCode, deviceErrno, isErrno } from "../../src/abi/index.ts";
import { CodedError, isSystemError, systemError } from "../../src/guest/sdk/errors.ts";
import { ROOT } from "../helpers.ts";

/** Every .ts file under `dir` (relative to the repository). */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe("the errno table", () => {
  test("each code is its own name and has a one-line meaning in the source", () => {
    const text = readFileSync(path.join(ROOT, "src/abi/errors.ts"), "utf8");
    for (const [key, value] of Object.entries(Errno)) {
      assert.equal(key, value);
      assert.match(text, new RegExp(`/\\*\\* [^\\n]+ \\*/\\n\\s+${key}: "${key}",`), `${key} has no one-line meaning`);
    }
  });

  test("the codes the host's devices meet cross as themselves; anything else as EIO", () => {
    for (const code of ["EPIPE", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EACCES", "ENOSPC", "EIO", "EAGAIN"]) {
      assert.equal(deviceErrno(code), code);
      assert.ok(isErrno(code));
    }
    for (const code of [undefined, null, "", "ERR_STREAM_DESTROYED", "EWHATEVER", "toString", "__proto__", "econnreset", 42]) {
      assert.equal(deviceErrno(code), "EIO", String(code));
      assert.equal(isErrno(code), false, String(code));
    }
  });

  test("a TLS connector's certificate refusal crosses with OpenSSL's code; another TLS failure as EPROTO", () => {
    for (const code of ["DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_HAS_EXPIRED", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "ERR_TLS_CERT_ALTNAME_INVALID"]) {
      assert.equal(deviceErrno(code), code);
      assert.equal(typeof TlsCertCode[code as TlsCertCode], "string");
    }
    for (const code of ["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"]) assert.equal(deviceErrno(code), "EPROTO");
    for (const [code, meaning] of Object.entries(TlsCertCode)) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(meaning.length > 10 && !meaning.includes("\n"), code);
      assert.equal(isErrno(code), false, `${code} is in both tables`);
    }
  });

  test("every errno string the host's devices and hypercall validation write is in the table", () => {
    const files = [...sources("src/host/tender/devices"), path.join(ROOT, "src/host/tender/hypercalls.ts"), ...sources("src/host/tender/crypto")];
    const found = new Set<string>();
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/errno: "(E[A-Z0-9]+)"|return "(E[A-Z0-9]+)"|Errno\.(E[A-Z0-9]+)/g)) found.add((m[1] ?? m[2] ?? m[3])!);
    }
    assert.ok(found.has("EPIPE") && found.has("EACCES") && found.has("EBADF"), [...found].join(" "));
    for (const code of found) assert.ok(isErrno(code), `${code} is sent but not listed`);
  });

  test("every errno the guest runtime and the in-guest TCP/IP stack throw through systemError is in the table", () => {
    const found = new Set<string>();
    for (const file of [...sources("src/guest/runtime"), ...sources("src/guest/lib/tcpip")]) {
      for (const m of readFileSync(file, "utf8").matchAll(/systemError\("(E[A-Z0-9]+)"|\?\? "(E[A-Z0-9]+)"|(?:hard|soft) = "(E[A-Z0-9]+)"/g)) found.add((m[1] ?? m[2] ?? m[3])!);
    }
    assert.ok(found.size >= 10, [...found].join(" "));
    for (const code of found) assert.ok(isErrno(code), `${code} is thrown but not listed`);
  });
});

describe("the guest's one systemError", () => {
  test("reads like Node's: syscall, code, address:port, then any detail", () => {
    const refused = systemError("ECONNREFUSED", "connect", { address: "10.0.0.2", port: 80 });
    assert.equal(refused.message, "connect ECONNREFUSED 10.0.0.2:80");
    assert.equal(refused.code, "ECONNREFUSED");
    assert.equal(refused.syscall, "connect");
    assert.equal(refused.address, "10.0.0.2");
    assert.equal(refused.port, 80);
    assert.ok(refused instanceof Error && isSystemError(refused));
    const bare = systemError("EPIPE", "write");
    assert.equal(bare.message, "write EPIPE");
    assert.equal(Object.hasOwn(bare, "address") || Object.hasOwn(bare, "port"), false);
    assert.equal(systemError("E2BIG", "console.write", { detail: "at most 65536 bytes" }).message, "console.write E2BIG: at most 65536 bytes");
    assert.equal(systemError("EINVAL", "listen", { port: 70000 }).message, "listen EINVAL");
    assert.equal(isSystemError(Object.assign(new Error("x"), { code: "EPIPE" })), false);
  });

  test("library errors share one shape: name is the class, code is stable", () => {
    class ThingError extends CodedError<"ERR_THING"> {
      constructor(message: string) {
        super("ThingError", "ERR_THING", message);
      }
    }
    const error = new ThingError("broken");
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ThingError");
    assert.equal(error.code, "ERR_THING");
    assert.equal(String(error), "ThingError: broken");
  });
});
