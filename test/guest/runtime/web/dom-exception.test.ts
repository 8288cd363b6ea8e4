// Conformance of the guest's DOMException against Node's own (WebIDL §3.14.1).
import assert from "node:assert/strict";
import { test } from "node:test";
import { DOMException } from "../../../../src/guest/runtime/web/dom-exception.ts";

const NodeDOMException = globalThis.DOMException;

const NAMES = [
  "IndexSizeError", "DOMStringSizeError", "HierarchyRequestError", "WrongDocumentError", "InvalidCharacterError",
  "NoDataAllowedError", "NoModificationAllowedError", "NotFoundError", "NotSupportedError", "InUseAttributeError",
  "InvalidStateError", "SyntaxError", "InvalidModificationError", "NamespaceError", "InvalidAccessError", "ValidationError",
  "TypeMismatchError", "SecurityError", "NetworkError", "AbortError", "URLMismatchError", "QuotaExceededError",
  "TimeoutError", "InvalidNodeTypeError", "DataCloneError", "EncodingError", "NotReadableError", "Error", "", "dataCloneError",
];

test("DOMException has the legacy code of every WebIDL error name, as Node's", () => {
  for (const name of NAMES) {
    assert.equal(new DOMException("m", name).code, new NodeDOMException("m", name).code, name);
  }
  assert.equal(new DOMException("m", "InvalidCharacterError").code, 5);
  assert.equal(new DOMException("m", "DataCloneError").code, 25);
});

test("DOMException converts message and name like WebIDL DOMStrings, with defaults", () => {
  for (const [message, name] of [[undefined, undefined], [null, null], [1, 2], ["m", undefined], [{ toString: () => "o" }, "N"]]) {
    const ours = new DOMException(message, name);
    const theirs = new NodeDOMException(message as string, name as string);
    assert.deepEqual([ours.message, ours.name, ours.code], [theirs.message, theirs.name, theirs.code]);
  }
  assert.throws(() => new DOMException(Symbol()), TypeError);
  assert.throws(() => new DOMException("m", Symbol()), TypeError);
});

test("DOMException accepts Node's options form with name and cause", () => {
  const ours = new DOMException("m", { name: "AbortError", cause: 5 });
  const theirs = new NodeDOMException("m", { name: "AbortError", cause: 5 } as never);
  assert.deepEqual([ours.name, ours.code, ours.cause], [theirs.name, theirs.code, theirs.cause]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(ours, "cause"), Object.getOwnPropertyDescriptor(theirs, "cause"));
  assert.equal(Object.hasOwn(new DOMException("m", { name: "X" }), "cause"), false);
});

test("DOMException is an Error whose stack starts with name and message", () => {
  const error = new DOMException("boom", "DataCloneError");
  assert.ok(error instanceof Error);
  assert.equal((Error as { isError?: (value: unknown) => boolean }).isError?.(error) ?? true, true);
  assert.equal(error.stack?.split("\n")[0], "DataCloneError: boom");
  assert.equal(String(error), "DataCloneError: boom");
  assert.equal(Object.prototype.toString.call(error), "[object DOMException]");
});

test("DOMException keeps name, message and code as enumerable prototype getters, as Node does", () => {
  const error = new DOMException("m", "X");
  assert.deepEqual(Object.getOwnPropertyNames(error), Object.getOwnPropertyNames(new NodeDOMException("m", "X")));
  assert.deepEqual(Object.keys(DOMException.prototype), Object.keys(NodeDOMException.prototype));
  for (const key of ["name", "message", "code"]) {
    const descriptor = Object.getOwnPropertyDescriptor(DOMException.prototype, key)!;
    assert.equal(typeof descriptor.get, "function");
    assert.equal(descriptor.enumerable, true);
    assert.throws(() => descriptor.get!.call({}), TypeError);
  }
});

test("DOMException has the legacy code constants on the constructor and the prototype", () => {
  for (const key of Object.keys(NodeDOMException).filter((k) => k.endsWith("_ERR"))) {
    assert.deepEqual(Object.getOwnPropertyDescriptor(DOMException, key), Object.getOwnPropertyDescriptor(NodeDOMException, key), key);
    assert.deepEqual(
      Object.getOwnPropertyDescriptor(DOMException.prototype, key),
      Object.getOwnPropertyDescriptor(NodeDOMException.prototype, key),
      key,
    );
  }
  assert.equal(DOMException.length, NodeDOMException.length);
});
