/**
 * @module guest/web/file
 * The file group of the web globals: `Blob`, `File` and `FormData`, with the hooks fetch's bodies
 * use to read them without copying.
 */

import { initialised } from "../common/registry.ts";

export { Blob, File, blobOfParts, blobParts, isBlob } from "./blob.ts";
export { FormData, formEntries, isFormData } from "./form-data.ts";

initialised("file");
