/**
 * The time formats of Herd's logs: the error log's local timestamp, the
 * access log's Common Log Format and ISO 8601 times, and the per-second
 * cache that keeps formatting them off the request path's budget (a line
 * per request, a new text once a second).
 *
 * @module
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** `+0100`: the local offset from UTC at `d`, as logs print it. */
function utcOffset(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${offset < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

/**
 * `2026-11-27 04:05:06 +0000` in local time: the error log's timestamp
 * (Gunicorn's, without the brackets).
 *
 * @example
 * ```ts
 * import { localTimestamp } from "./timestamps.ts";
 * localTimestamp(Date.now()); // e.g. "2026-11-27 04:05:06 +0000"
 * ```
 */
export function localTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${utcOffset(d)}`;
}

/**
 * `render` of the whole second, recomputed only when the second changes.
 */
function perSecond(render: (second: Date) => string): (ms: number) => string {
  let cachedSecond = NaN;
  let text = "";
  return (ms) => {
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
      cachedSecond = second;
      text = render(new Date(second * 1000));
    }
    return text;
  };
}

/**
 * `[27/Nov/2026:04:05:06 +0000]` in local time (Gunicorn's `%(t)s`), one
 * formatter per log.
 *
 * @example
 * ```ts
 * import { clfTimeCache } from "./timestamps.ts";
 * const clf = clfTimeCache();
 * clf(Date.now()); // e.g. "[27/Nov/2026:04:05:06 +0000]"
 * ```
 */
export function clfTimeCache(): (ms: number) => string {
  return perSecond((d) =>
    `[${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${utcOffset(d)}]`
  );
}

/**
 * ISO 8601 UTC with milliseconds; only the milliseconds are formatted per
 * call.
 *
 * @example
 * ```ts
 * import { isoTimeCache } from "./timestamps.ts";
 * isoTimeCache()(0); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function isoTimeCache(): (ms: number) => string {
  const prefix = perSecond((d) => d.toISOString().slice(0, 20));
  return (ms) => {
    const milli = Math.floor(ms % 1000);
    return prefix(ms) + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z";
  };
}
