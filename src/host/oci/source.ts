/**
 * @module host/oci/source
 * Where unpack reads an OCI image from: a layout folder, or an oci-archive (a tar of one, as
 * `skopeo copy … oci-archive:` and `tsuki oci pack --archive` write). Both give the same three
 * things by name: `oci-layout`, `index.json` and a blob by its digest; a name either lacks reads
 * as undefined. Sizes are checked before bytes are read.
 */

import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { TsukiError } from "../common/errors.ts";
import { readEntries } from "./tar-entries.ts";

export interface LayoutSource {
  readonly where: string;
  /** A file of the layout by its relative path (`index.json`, `blobs/sha256/…`), undefined if absent. */
  read(file: string, maxBytes: number): Uint8Array | undefined;
}

const LAYOUT_FILE = /^(?:oci-layout|index\.json|manifest\.json|repositories|blobs\/sha256\/[0-9a-f]{64})$/;
const LAYOUT_DIR = /^(?:blobs|blobs\/sha256)$/;

export function openSource(where: string, maxBlob: number): LayoutSource {
  let stat;
  try {
    stat = statSync(where);
  } catch (error) {
    throw new TsukiError("OCI_LAYOUT", `no OCI layout folder or oci-archive at ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (stat.isDirectory()) return folderSource(where);
  // A device or a pipe could be read without end.
  if (!stat.isFile()) throw new TsukiError("OCI_LAYOUT", `${where} is neither a folder nor a regular file: no OCI layout or oci-archive`);
  return archiveSource(where, maxBlob);
}

function folderSource(dir: string): LayoutSource {
  return {
    where: dir,
    read(file, maxBytes) {
      let fd: number;
      try {
        fd = openSync(path.join(dir, file), "r");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new TsukiError("OCI_LAYOUT", `cannot read ${file} of ${dir}: ${(error as Error).message}`);
      }
      try {
        const stat = fstatSync(fd);
        if (!stat.isFile()) throw new TsukiError("OCI_LAYOUT", `${file} of ${dir} is not a regular file`);
        if (stat.size > maxBytes) throw new TsukiError("OCI_TOO_LARGE", `${file} of ${dir} is ${stat.size} bytes, more than the ${maxBytes} accepted`);
        const bytes = Buffer.alloc(stat.size);
        let at = 0;
        while (at < bytes.length) {
          const n = readSync(fd, bytes, at, bytes.length - at, at);
          if (n === 0) break;
          at += n;
        }
        return bytes.subarray(0, at);
      } finally {
        closeSync(fd);
      }
    },
  };
}

function archiveSource(file: string, maxBlob: number): LayoutSource {
  const size = statSync(file).size;
  // The archive holds the layer plus a few small documents and headers.
  const limit = maxBlob + 16 * 2 ** 20;
  if (size > limit) throw new TsukiError("OCI_TOO_LARGE", `the archive ${file} is ${size} bytes, more than the ${limit} accepted`);
  const entries = readEntries(readFileSync(file), `the archive ${file}`, "OCI_LAYOUT", maxBlob);
  const files = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (entry.type === "dir" ? !LAYOUT_DIR.test(entry.path) : !LAYOUT_FILE.test(entry.path)) {
      throw new TsukiError("OCI_LAYOUT", `the archive ${file} holds "${entry.path}", which no OCI layout has: it is not an oci-archive`);
    }
    if (entry.type === "file") files.set(entry.path, entry.data);
  }
  return {
    where: file,
    read(name, maxBytes) {
      const bytes = files.get(name);
      if (bytes !== undefined && bytes.length > maxBytes) throw new TsukiError("OCI_TOO_LARGE", `${name} of ${file} is ${bytes.length} bytes, more than the ${maxBytes} accepted`);
      return bytes;
    },
  };
}
