/**
 * Headers: seeded sequences of append/set/delete/get/has/getSetCookie on one object, with names
 * and values valid and not (case, spaces, controls, Latin-1, characters above U+00FF), each step's
 * result and the final sorted, combined iteration recorded.
 */

import type { Recorder } from "./observe.ts";
import { Random } from "./random.ts";

const NAMES = ["a", "A", "set-cookie", "Set-Cookie", "content-type", "x-y", "x y", "", "é", "a:b", "accept", "ACCEPT", "x-\u0100"];
const VALUES = ["v", " spaced ", "a, b", "", "\t tab", "line\nbreak", "nul\0", "caf\u00e9", "snow\u2603", "k=v; Path=/", "  "];

export async function headers(recorder: Recorder, seed: number, cases: number): Promise<void> {
  const random = new Random(seed);
  for (let c = 0; c < cases; c++) {
    const init = random.pick<unknown>([undefined, {}, [["A", "1"], ["a", "2"]], { "X-Z": "z", "set-cookie": "s=1" }, [["bad name", "x"]], [["a"]], "not init", null]);
    let headers: Headers;
    try {
      headers = new Headers(init as ConstructorParameters<typeof Headers>[0]);
    } catch (error) {
      await recorder.record(`headers/${c}/init`, () => {
        throw error;
      });
      continue;
    }
    for (let i = 0; i < 8; i++) {
      const name = random.pick(NAMES);
      const value = random.pick(VALUES);
      const op = random.pick(["append", "set", "delete", "get", "has", "getSetCookie"]);
      await recorder.record(`headers/${c}/${i}/${op}(${JSON.stringify(name)})`, () => {
        switch (op) {
          case "append":
            return headers.append(name, value);
          case "set":
            return headers.set(name, value);
          case "delete":
            return headers.delete(name);
          case "get":
            return headers.get(name);
          case "has":
            return headers.has(name);
          default:
            return headers.getSetCookie();
        }
      });
    }
    await recorder.record(`headers/${c}/entries`, () => [...headers]);
    await recorder.record(`headers/${c}/forEach`, () => {
      const seen: string[] = [];
      headers.forEach((value, name) => seen.push(`${name}=${value}`));
      return seen;
    });
  }
}
