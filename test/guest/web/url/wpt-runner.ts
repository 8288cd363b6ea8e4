/**
 * The web-platform-tests URL suites as their harness files run them (url-constructor, url-origin,
 * url-statics-canparse and -parse for urltestdata.json; url-setters for setters_tests.json;
 * toascii.window.js for toascii.json; urlencoded-parser.any.js for urlencoded-parser-data.json),
 * written against whatever classes it is given, so that the same code runs inside a unikernel and
 * in Node. No Node built-ins: a unikernel's build bundles it.
 *
 * A case counts as passed only when every check the harness makes of it passes. The data is read
 * in place from ../shared/conformance/wpt/url (never copied into the tree).
 */

export interface Classes {
  URL: typeof URL;
  URLSearchParams: typeof URLSearchParams;
  Request: typeof Request;
  Response: typeof Response;
}

export interface FileResult {
  total: number;
  passed: number;
  /** The first failures, described. */
  failures: string[];
}

type Json = Record<string, unknown>;

const MAX_FAILURES = 40;

function tally(cases: { name: string; run: () => void | Promise<void> }[]): Promise<FileResult> {
  return (async () => {
    const result: FileResult = { total: cases.length, passed: 0, failures: [] };
    for (const c of cases) {
      try {
        await c.run();
        result.passed++;
      } catch (error) {
        if (result.failures.length < MAX_FAILURES) result.failures.push(`${c.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return result;
  })();
}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

function throwsTypeError(run: () => unknown, what: string): void {
  try {
    run();
  } catch (error) {
    if (error instanceof TypeError || (error as Error)?.name === "TypeError") return;
    throw new Error(`${what}: threw ${String(error)}, not a TypeError`);
  }
  throw new Error(`${what}: did not throw`);
}

const PARTS = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];

export function urlTestData(data: unknown[], { URL }: Classes): Promise<FileResult> {
  const cases = (data.filter((t) => typeof t === "object") as Json[]).map((t) => ({
    name: `${JSON.stringify(t.input)} against ${JSON.stringify(t.base)}`,
    run() {
      const input = t.input as string;
      const base = t.base === null ? undefined : (t.base as string);
      if (t.failure) {
        throwsTypeError(() => new URL(input, base), "new URL");
        equal(URL.canParse(input, base), false, "URL.canParse");
        equal(URL.parse(input, base), null, "URL.parse");
        return;
      }
      const url = new URL(input, base);
      for (const part of PARTS) equal((url as unknown as Json)[part], t[part], part);
      if ("searchParams" in t) equal(url.searchParams.toString(), t.searchParams, "searchParams");
      if ("origin" in t) equal(url.origin, t.origin, "origin");
      equal(URL.canParse(input, base), true, "URL.canParse");
      equal(URL.parse(input, base)?.href, t.href, "URL.parse");
    },
  }));
  return tally(cases);
}

export function settersTests(data: Json, { URL }: Classes): Promise<FileResult> {
  const cases: { name: string; run: () => void }[] = [];
  for (const [attribute, list] of Object.entries(data)) {
    if (attribute === "comment" || !Array.isArray(list)) continue;
    for (const t of list as Json[]) {
      cases.push({
        name: `${attribute} = ${JSON.stringify(t.new_value)} on ${JSON.stringify(t.href)}`,
        run() {
          const url = new URL(t.href as string);
          (url as unknown as Json)[attribute] = t.new_value;
          for (const [part, value] of Object.entries(t.expected as Json)) equal((url as unknown as Json)[part], value, part);
        },
      });
    }
  }
  return tally(cases);
}

export function toAscii(data: unknown[], { URL }: Classes): Promise<FileResult> {
  const cases = (data.filter((t) => typeof t === "object") as Json[]).map((t) => ({
    name: JSON.stringify(t.input),
    run() {
      const input = t.input as string;
      const output = t.output as string | null;
      if (output === null) throwsTypeError(() => new URL(`https://${input}/x`), "new URL");
      else {
        const url = new URL(`https://${input}/x`);
        equal(url.host, output, "host");
        equal(url.hostname, output, "hostname");
        equal(url.pathname, "/x", "pathname");
        equal(url.href, `https://${output}/x`, "href");
      }
      for (const setter of ["host", "hostname"]) {
        const url = new URL("https://x/x");
        (url as unknown as Json)[setter] = input;
        equal((url as unknown as Json)[setter], output ?? "x", `${setter} setter`);
      }
    },
  }));
  return tally(cases);
}

export function urlencodedParser(data: Json[], { URLSearchParams, Request, Response }: Classes): Promise<FileResult> {
  const headers = { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" };
  const same = (pairs: Iterable<[string, unknown]>, expected: unknown, what: string) => equal(JSON.stringify([...pairs]), JSON.stringify(expected), what);
  const cases = data.flatMap((t) => [
    { name: `URLSearchParams(${JSON.stringify(t.input)})`, run: () => same(new URLSearchParams(t.input as string), t.output, "URLSearchParams") },
    {
      name: `request.formData() of ${JSON.stringify(t.input)}`,
      run: async () => same((await new Request("about:blank", { body: t.input as string, method: "LADIDA", headers }).formData()) as unknown as Iterable<[string, unknown]>, t.output, "Request.formData"),
    },
    {
      name: `response.formData() of ${JSON.stringify(t.input)}`,
      run: async () => same((await new Response(t.input as string, { headers }).formData()) as unknown as Iterable<[string, unknown]>, t.output, "Response.formData"),
    },
  ]);
  return tally(cases);
}

export const FILES = ["urltestdata.json", "setters_tests.json", "toascii.json", "urlencoded-parser-data.json"] as const;

/** Runs every suite over its parsed file. */
export async function runAll(files: Record<(typeof FILES)[number], unknown>, classes: Classes): Promise<Record<string, FileResult>> {
  return {
    "urltestdata.json": await urlTestData(files["urltestdata.json"] as unknown[], classes),
    "setters_tests.json": await settersTests(files["setters_tests.json"] as Json, classes),
    "toascii.json": await toAscii(files["toascii.json"] as unknown[], classes),
    "urlencoded-parser-data.json": await urlencodedParser(files["urlencoded-parser-data.json"] as Json[], classes),
  };
}
