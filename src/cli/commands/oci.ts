/**
 * @module cli/commands/oci
 * `tsuki oci pack` and `tsuki oci unpack`: a `.tsuki` image as an OCI image (a layout folder or
 * an oci-archive) that containerd, skopeo and registries carry, and back.
 */

import { writeFileSync } from "node:fs";
import { ExitCode } from "../../abi/index.ts";
import { TsukiError, archiveBytes, packImage, unpackImage, writeLayout } from "../../host/index.ts";
import { parse, parseMemory, positional } from "../support/args.ts";
import { readImageFile } from "../support/files.ts";

export const usage = `Usage: tsuki oci pack <image.tsuki> --tag NAME:VERSION (--out DIR | --archive FILE)
       tsuki oci unpack <DIR|ARCHIVE> [--tag NAME:VERSION] --out FILE.tsuki

pack writes the image as an OCI image (image-spec v1.1): one layer holding it at /unikernel.tsuki,
annotations naming it and its SHA-256, and this host's os and architecture. The same image gives
the same manifest digest. ctr images import and skopeo (oci-archive:FILE, oci:DIR:TAG)
read what it writes.

  --tag NAME:VERSION   the image's tag (its org.opencontainers.image.ref.name); containerd names
                       it docker.io/library/NAME:VERSION when NAME has no registry
  --out DIR            write an OCI image layout folder (it must not exist or be empty)
  --archive FILE       write an oci-archive: the same files in one tar

unpack checks every blob's digest and size, the media types, the one layer, and the image's
SHA-256 against its annotation, then writes the .tsuki.

  --tag NAME:VERSION   the manifest to take when the index holds several
  --out FILE           where to write the .tsuki
  --max-size SIZE      the largest image accepted (default 256M)`;

export async function ociCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "pack") return pack(rest);
  if (sub === "unpack") return unpack(rest);
  if (sub === undefined || sub === "--help" || sub === "-h") return void console.log(usage), sub === undefined ? ExitCode.USAGE : 0;
  throw new TsukiError("UNKNOWN_COMMAND", `unknown command "tsuki oci ${sub}": it has pack and unpack (see tsuki oci --help)`);
}

function pack(argv: string[]): number {
  const { values, positionals } = parse("oci pack", argv, { tag: { type: "string" }, out: { type: "string" }, archive: { type: "string" } });
  if (values.help) return void console.log(usage), 0;
  const imagePath = positional("oci pack", positionals, "an image (.tsuki)");
  if (values.tag === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki oci pack" needs --tag NAME:VERSION, e.g. --tag hello:1.0`);
  if (values.out === undefined && values.archive === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki oci pack" needs --out DIR (a layout folder) or --archive FILE (an oci-archive), or both`);
  const packed = packImage(readImageFile(imagePath), values.tag);
  if (values.out !== undefined) writeLayout(values.out, packed);
  if (values.archive !== undefined) {
    try {
      writeFileSync(values.archive, archiveBytes(packed));
    } catch (error) {
      throw new TsukiError("OCI_OUT", `cannot write the archive ${values.archive}: ${(error as Error).message}`);
    }
  }
  for (const written of [values.out, values.archive]) if (written !== undefined) console.log(written);
  console.log(`digest ${packed.digest}\ntag ${packed.ref} (containerd: ${packed.fullName})\nimage sha256 ${packed.imageSha256}`);
  return 0;
}

function unpack(argv: string[]): number {
  const { values, positionals } = parse("oci unpack", argv, { tag: { type: "string" }, out: { type: "string" }, "max-size": { type: "string" } });
  if (values.help) return void console.log(usage), 0;
  const from = positional("oci unpack", positionals, "an OCI layout folder or oci-archive");
  if (values.out === undefined) throw new TsukiError("MISSING_ARGUMENT", `"tsuki oci unpack" needs --out FILE.tsuki`);
  const maxImageBytes = values["max-size"] === undefined ? undefined : parseMemory("--max-size", values["max-size"]) * 2 ** 20;
  const unpacked = unpackImage(from, { ...(values.tag === undefined ? {} : { tag: values.tag }), ...(maxImageBytes === undefined ? {} : { maxImageBytes }) });
  try {
    writeFileSync(values.out, unpacked.tsuki);
  } catch (error) {
    throw new TsukiError("OCI_OUT", `cannot write ${values.out}: ${(error as Error).message}`);
  }
  console.log(`${values.out}\nsha256 ${unpacked.sha256}\nname ${unpacked.name}\nfrom ${unpacked.digest}${unpacked.ref === undefined ? "" : ` (${unpacked.ref})`}, ${unpacked.os}/${unpacked.architecture}`);
  return 0;
}
