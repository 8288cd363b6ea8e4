/**
 * @module guest/runtime/web/dom-exception
 *
 * `DOMException` for a bare V8 isolate, which has none (WebIDL §3.14.1). The guest runtime installs
 * it as a global; `atob`/`btoa` and `structuredClone` throw it.
 *
 * Guarantees:
 * - `new DOMException(message = "", name = "Error")` converts both arguments like WebIDL
 *   DOMStrings (a Symbol throws TypeError); Node's `(message, { name, cause })` form is accepted too.
 * - Instances are real errors (`[[ErrorData]]`, `instanceof Error`, a V8 stack trace whose first
 *   line is `<name>: <message>`), with no own `name`/`message`: those and `code` are enumerable
 *   prototype getters that throw TypeError on a non-DOMException receiver, as in browsers and Node.
 * - `code` is the legacy code of the WebIDL error-names table (InvalidCharacterError = 5,
 *   DataCloneError = 25, …) and 0 for any other name; the legacy constants (`DATA_CLONE_ERR`, …)
 *   are on both the constructor and the prototype.
 */

// WebIDL error names with a legacy code, in code order (code = index + 1). Codes 2, 6 and 16 belong
// to names WebIDL removed from the table (https://github.com/whatwg/webidl/pull/946): they map to 0.
const LEGACY = [
  "IndexSizeError/INDEX_SIZE_ERR", "/DOMSTRING_SIZE_ERR", "HierarchyRequestError/HIERARCHY_REQUEST_ERR",
  "WrongDocumentError/WRONG_DOCUMENT_ERR", "InvalidCharacterError/INVALID_CHARACTER_ERR",
  "/NO_DATA_ALLOWED_ERR", "NoModificationAllowedError/NO_MODIFICATION_ALLOWED_ERR",
  "NotFoundError/NOT_FOUND_ERR", "NotSupportedError/NOT_SUPPORTED_ERR",
  "InUseAttributeError/INUSE_ATTRIBUTE_ERR", "InvalidStateError/INVALID_STATE_ERR",
  "SyntaxError/SYNTAX_ERR", "InvalidModificationError/INVALID_MODIFICATION_ERR",
  "NamespaceError/NAMESPACE_ERR", "InvalidAccessError/INVALID_ACCESS_ERR", "/VALIDATION_ERR",
  "TypeMismatchError/TYPE_MISMATCH_ERR", "SecurityError/SECURITY_ERR", "NetworkError/NETWORK_ERR",
  "AbortError/ABORT_ERR", "URLMismatchError/URL_MISMATCH_ERR",
  "QuotaExceededError/QUOTA_EXCEEDED_ERR", "TimeoutError/TIMEOUT_ERR",
  "InvalidNodeTypeError/INVALID_NODE_TYPE_ERR", "DataCloneError/DATA_CLONE_ERR",
] as const;

/** Options of Node's extended constructor form `new DOMException(message, { name, cause })`. */
export interface DOMExceptionOptions {
  name?: string;
  cause?: unknown;
}

export class DOMException extends Error {
  readonly #name: string;
  readonly #message: string;

  constructor(message: unknown = "", options: unknown = "Error") {
    defineLegacyConstants();
    const text = `${message}`;
    // A bare isolate fixes the message of the stack header at construction (Node formats it later),
    // so the engine gets it here; the own `message` it creates gives way to the WebIDL getter.
    super(text);
    delete (this as { message?: string }).message;
    this.#message = text;
    if (options !== null && typeof options === "object") {
      const { name, cause } = options as DOMExceptionOptions;
      this.#name = `${name}`;
      if ("cause" in options) {
        Object.defineProperty(this, "cause", { value: cause, writable: true, configurable: true });
      }
    } else {
      this.#name = `${options}`;
    }
  }

  override get name(): string {
    return this.#name;
  }

  override get message(): string {
    return this.#message;
  }

  get code(): number {
    const name = this.#name;
    if (name === "") return 0;
    const i = LEGACY.findIndex((entry) => entry.startsWith(`${name}/`));
    return i + 1;
  }
}

Object.defineProperty(DOMException.prototype, Symbol.toStringTag, {
  value: "DOMException",
  configurable: true,
});
for (const key of ["name", "message", "code"]) {
  Object.defineProperty(DOMException.prototype, key, { enumerable: true });
}

let constantsDefined = false;

/**
 * Defines the legacy constants on the constructor and the prototype. Deferred until the first
 * DOMException is made or the global is first read: these 50 properties cost every unikernel about
 * 24 KiB, and most never touch DOMException.
 */
export function defineLegacyConstants(): void {
  if (constantsDefined) return;
  constantsDefined = true;
  for (let i = 0; i < LEGACY.length; i++) {
    const constant = { value: i + 1, enumerable: true };
    const key = LEGACY[i]!.slice(LEGACY[i]!.indexOf("/") + 1);
    Object.defineProperty(DOMException, key, constant);
    Object.defineProperty(DOMException.prototype, key, constant);
  }
}
