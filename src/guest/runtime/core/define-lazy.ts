/**
 * @module guest/runtime/core/define-lazy
 * A global made on first use, as both the runtime (WebAssembly's and Intl's wrappers) and the web
 * script (the web globals) install theirs: nothing is built until a guest reads the name.
 */

/** A global made on first read (or replaced on first write), then an ordinary data property. */
export function defineLazy(global: object, name: string, make: () => unknown): void {
  const settle = (value: unknown) => Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(global, name, {
    configurable: true,
    enumerable: false,
    get: () => {
      const value = make();
      settle(value);
      return value;
    },
    set: settle,
  });
}
