/**
 * @module guest/web/file/form-data
 * `FormData` (XMLHttpRequest Standard §4.3): an ordered list of entries whose value is a string or
 * a `File`. A `Blob` value becomes a `File` named "blob" (or the filename given); a filename given
 * with a `File` makes a new `File` of that name. There is no form element in a unikernel: the
 * constructor accepts no argument but `undefined`, as Node and Deno do.
 */

import { enumerable, requireArgs, toStringTag, toUSVString } from "../common/webidl.ts";
import { File, isBlob, type Blob } from "./blob.ts";

export type FormDataEntryValue = string | File;

let entriesOf: (form: FormData) => [string, FormDataEntryValue][];

export class FormData {
  #entries: [string, FormDataEntryValue][] = [];

  static {
    entriesOf = (form) => {
      if (typeof form !== "object" || form === null || !(#entries in form)) throw new TypeError("Illegal invocation: not a FormData");
      return form.#entries;
    };
  }

  constructor(form?: undefined) {
    if (form !== undefined) throw new TypeError("FormData: there are no form elements in a unikernel; call new FormData() without arguments");
  }

  append(name: string, value: string | Blob, filename?: string): void {
    requireArgs(arguments.length, 2, "FormData.append");
    entriesOf(this).push(entry(name, value, filename, arguments.length));
  }

  delete(name: string): void {
    requireArgs(arguments.length, 1, "FormData.delete");
    const key = toUSVString(name);
    this.#entries = entriesOf(this).filter(([n]) => n !== key);
  }

  get(name: string): FormDataEntryValue | null {
    requireArgs(arguments.length, 1, "FormData.get");
    const key = toUSVString(name);
    return entriesOf(this).find(([n]) => n === key)?.[1] ?? null;
  }

  getAll(name: string): FormDataEntryValue[] {
    requireArgs(arguments.length, 1, "FormData.getAll");
    const key = toUSVString(name);
    return entriesOf(this)
      .filter(([n]) => n === key)
      .map(([, v]) => v);
  }

  has(name: string): boolean {
    requireArgs(arguments.length, 1, "FormData.has");
    const key = toUSVString(name);
    return entriesOf(this).some(([n]) => n === key);
  }

  set(name: string, value: string | Blob, filename?: string): void {
    requireArgs(arguments.length, 2, "FormData.set");
    const list = entriesOf(this);
    const added = entry(name, value, filename, arguments.length);
    const first = list.findIndex(([n]) => n === added[0]);
    if (first < 0) list.push(added);
    else this.#entries = list.filter(([n], i) => i <= first || n !== added[0]).map((e, i) => (i === first ? added : e));
  }

  forEach(callback: (value: FormDataEntryValue, name: string, form: FormData) => void, thisArg?: unknown): void {
    requireArgs(arguments.length, 1, "FormData.forEach");
    if (typeof callback !== "function") throw new TypeError("FormData.forEach: the callback must be a function");
    for (let i = 0; i < entriesOf(this).length; i++) {
      const [name, value] = this.#entries[i]!;
      callback.call(thisArg, value, name, this);
    }
  }

  *entries(): IterableIterator<[string, FormDataEntryValue]> {
    entriesOf(this);
    // Live, as WebIDL's pair iterators are: entries added while iterating are visited.
    for (let i = 0; i < this.#entries.length; i++) {
      const [name, value] = this.#entries[i]!;
      yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<FormDataEntryValue> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]> {
    return this.entries();
  }
}

enumerable(FormData, ["append", "delete", "get", "getAll", "has", "set", "forEach", "entries", "keys", "values"]);
toStringTag(FormData, "FormData");

/** XHR §4.3 "create an entry". */
function entry(name: string, value: unknown, filename: string | undefined, argc: number): [string, FormDataEntryValue] {
  const key = toUSVString(name);
  if (!isBlob(value)) {
    if (argc > 2) throw new TypeError("FormData: a filename can only be given with a Blob or File value");
    return [key, toUSVString(value)];
  }
  const isFile = value instanceof File;
  if (isFile && filename === undefined) return [key, value];
  const options = isFile ? { type: value.type, lastModified: value.lastModified } : { type: value.type };
  return [key, new File([value], filename === undefined ? "blob" : toUSVString(filename), options)];
}

/** @internal The entries as they are (for serialising a body), never to be changed by the caller. */
export function formEntries(form: FormData): readonly [string, FormDataEntryValue][] {
  return entriesOf(form);
}

export function isFormData(value: unknown): value is FormData {
  try {
    entriesOf(value as FormData);
    return true;
  } catch {
    return false;
  }
}
