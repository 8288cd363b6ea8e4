/**
 * @module tsuki/http/date
 * The `Date` header an origin server with a clock sends on every response (RFC 9110 §6.6.1), in
 * IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`, §5.6.7), computed once per second.
 */

let second = Number.NaN;
let text = "";

export function httpDate(now: number = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    // ECMA-262 §21.4.4.43: toUTCString is exactly the IMF-fixdate layout.
    text = new Date(s * 1000).toUTCString();
  }
  return text;
}
