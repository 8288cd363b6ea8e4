/**
 * @module cli/commands/new
 * `tsuki new <dir>`: scaffolds a unikernel folder: an entry module, a package.json, a tsconfig.json
 * that type-checks against the guest's real global scope, and a README saying how to build and run.
 */

import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { IMAGE_NAME } from "../../abi/index.ts";
import { SRC_ROOT, TsukiError } from "../../host/index.ts";
import { parse, positional } from "../support/args.ts";

export const usage = `Usage: tsuki new <dir>

Creates a unikernel in <dir> (which must not exist or be empty), named after the folder.`;

export function scaffold(argv: string[]): number {
  const { values, positionals } = parse("new", argv, {});
  if (values.help) return void console.log(usage), 0;
  const dir = path.resolve(positional("new", positionals, "a folder to create"));
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  if (!IMAGE_NAME.test(name)) throw new TsukiError("FLAG_VALUE", `cannot derive an image name from "${path.basename(dir)}": use a folder name of letters, digits and dashes`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new TsukiError("NEW_EXISTS", `${dir} exists and is not a folder: choose a new folder`);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new TsukiError("NEW_EXISTS", `${dir} exists and is not empty: choose a new folder`);

  const files: Record<string, string> = {
    "src/main.ts": `import { unikernel } from "tsuki";

export default unikernel({
  devices: {},
  async start({ console, args }) {
    console.log(\`hello from ${name}\`, args);
  },
});
`,
    "package.json": `${JSON.stringify({ name, version: "0.1.0", private: true, type: "module" }, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "es2024",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2024"],
          types: [],
          strict: true,
          noEmit: true,
          paths: { tsuki: [path.join(SRC_ROOT, "guest/sdk/index.ts")], "tsuki/*": [path.join(SRC_ROOT, "guest/lib/*/index.ts")] },
        },
        include: ["src", path.join(SRC_ROOT, "guest/globals.d.ts")],
      },
      null,
      2,
    )}\n`,
    "README.md": `# ${name}

A tsuki unikernel. Build and run it with \`tsuki run .\` (or \`tsuki build .\` then
\`tsuki run dist/${name}.tsuki\`); \`tsuki inspect dist/${name}.tsuki\` shows its manifest.
`,
    ".gitignore": "dist/\nnode_modules/\n",
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  console.log(`created ${dir}\nbuild and run it with: tsuki run ${path.relative(process.cwd(), dir) || "."}`);
  return 0;
}
