/**
 * The host's one table of error codes, as the errors and the API's answers use it: a TsukiError
 * takes its exit code and status from its code's row, tsukid's DaemonError is a TsukiError, and
 * an error answer carries the row's status and exit code, which the client turns back into the
 * same code and exit.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ERROR_CODES, type ErrorCodeName, TsukiError } from "../../../src/host/common/index.ts";
import { DaemonError, RemoteError, errorBody } from "../../../src/host/orchestrator/api/errors.ts";

const names = Object.keys(ERROR_CODES) as ErrorCodeName[];

describe("the table of error codes", () => {
  test("every code's error has the table's exit code, and its status where the table gives one (else 422, a tender's error)", () => {
    for (const name of names) {
      const row: { exit: number; status?: number } = ERROR_CODES[name];
      const error = new TsukiError(name, `a ${name}`);
      assert.equal(error.code, `ERR_${name}`);
      assert.equal(error.exitCode, row.exit, name);
      assert.equal(error.status, row.status ?? 422, name);
      assert.deepEqual(error.problems, [{ code: `ERR_${name}`, message: `a ${name}` }]);
    }
  });

  test("a DaemonError is a TsukiError of the same table, with its own name", () => {
    const error = new DaemonError("NAME_TAKEN", "taken");
    assert.ok(error instanceof TsukiError);
    assert.ok(error instanceof DaemonError);
    assert.equal(error.name, "DaemonError");
    assert.deepEqual([error.code, error.status, error.exitCode], ["ERR_NAME_TAKEN", 409, 73]);
  });

  test("the folded code: an image tsukid does not hold is ERR_IMAGE_NOT_FOUND, 404, exit 65, as a missing image file is 65", () => {
    assert.equal(Object.hasOwn(ERROR_CODES, "IMAGE_UNKNOWN"), false);
    const error = new DaemonError("IMAGE_NOT_FOUND", "the daemon holds no image with SHA-256 00…");
    assert.deepEqual([error.code, error.status, error.exitCode], ["ERR_IMAGE_NOT_FOUND", 404, 65]);
  });

  test("the three ways to write a bad value keep their own codes and exit codes: a flag (64), a file (78), an API field (400, 64)", () => {
    assert.deepEqual([ERROR_CODES.FLAG_VALUE.exit, ERROR_CODES.CONFIG_VALUE.exit, ERROR_CODES.REQUEST_VALUE.exit, ERROR_CODES.REQUEST_VALUE.status], [64, 78, 64, 400]);
  });
});

describe("error answers", () => {
  test("answer with the table's status and exit code, for the daemon's errors and the tender's alike, and come back as the same code and exit", () => {
    for (const name of names) {
      for (const error of [new TsukiError(name, "x"), new DaemonError(name, "x")]) {
        const { status, body } = errorBody(error);
        assert.equal(status, error.status, name);
        assert.equal(body.error.code, `ERR_${name}`);
        assert.equal(body.error.exit, ERROR_CODES[name].exit);
        const back = new RemoteError(body.error);
        assert.deepEqual([back.code, back.exitCode], [`ERR_${name}`, ERROR_CODES[name].exit]);
      }
    }
  });

  test("a tender's binding error is 422 with its problems; anything unforeseen is 500 ERR_INTERNAL, exit 70", () => {
    const tender = errorBody(new TsukiError("DEV_UNBOUND", 'device "web" is not bound', [], [{ code: "ERR_DEV_UNBOUND", message: "one" }, { code: "ERR_DEV_UNDECLARED", message: "two" }]));
    assert.equal(tender.status, 422);
    assert.deepEqual(tender.body.error.problems.map((p) => p.code), ["ERR_DEV_UNBOUND", "ERR_DEV_UNDECLARED"]);
    const other = errorBody(new Error("boom"));
    assert.deepEqual([other.status, other.body.error.code, other.body.error.exit], [500, "ERR_INTERNAL", 70]);
  });
});
