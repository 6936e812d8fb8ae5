/**
 * Hello world that writes Herd's default access-log line
 * (`%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`) for every
 * request, as cheaply as this runtime allows: everything inlined into one
 * handler, ASCII copied byte by byte into a 64 KiB buffer (no line string, no
 * encoder call), one write per full buffer and every 100 ms. Served by bare
 * processes in `deno task bench`, it is the ceiling for any access log
 * written from JavaScript on this runtime: what remains once Herd's
 * generality (formats, the request guard, reopening, error reporting) is
 * taken away. A unit test checks that its lines are Herd's, byte for byte.
 *
 * The log goes to `$BENCH_ACCESS_LOG`; the N processes append whole lines to
 * one file, as Herd's workers do.
 *
 * @module
 */

const LOG_PATH = Deno.env.get("BENCH_ACCESS_LOG") ?? "/dev/null";
// Herd's default: the X-Forwarded-For of these peers names the client.
const TRUSTED = new Set(["127.0.0.1", "::1"]);
const BUFFER_BYTES = 64 * 1024;
// The line's constant parts and the time, with room to spare.
const FIXED_BYTES = 128;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const file = Deno.openSync(LOG_PATH, { append: true, create: true });
let buffer = new Uint8Array(BUFFER_BYTES);
const encoder = new TextEncoder();
let used = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let second = NaN;
let clf = "";

function flush(): void {
  if (used > 0) file.writeSync(buffer.subarray(0, used));
  used = 0;
}

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** `[27/Nov/2026:04:05:06 +0000]`, recomputed once a second. */
function clfTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s !== second) {
    second = s;
    const d = new Date(s * 1000);
    const offset = -d.getTimezoneOffset();
    const abs = Math.abs(offset);
    clf = `[${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:` +
      `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ` +
      `${offset < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${two(abs % 60)}]`;
  }
  return clf;
}

/** Copies `text` as it is (a constant or a number: ASCII, nothing to escape). */
function raw(text: string): void {
  for (let i = 0; i < text.length; i++) buffer[used++] = text.charCodeAt(i);
}

/**
 * Copies `text` escaped as Herd escapes a value: `\"`, `\\`, `\xNN` for controls and, up to
 * `highest`, the characters above 0x7e (0x9f for text, 0xff for a header's bytes).
 */
function value(text: string, highest = 0x9f): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      buffer[used++] = 0x5c;
      buffer[used++] = c;
    } else if (c < 0x20 || (c >= 0x7f && c <= highest)) {
      raw("\\x" + c.toString(16).padStart(2, "0"));
    } else if (c > 0x7f) {
      const { written } = encoder.encodeInto(text.slice(i, i + 1), buffer.subarray(used));
      used += written;
    } else {
      buffer[used++] = c;
    }
  }
}

/** Herd's rule: from the right, past trusted proxies; null when a hop is no address. */
function forwardedClient(header: string): string | null {
  const hops = header.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i].trim();
    if (!/^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/.test(hop)) return null;
    if (i === 0 || !TRUSTED.has(hop)) return hop;
  }
  return null;
}

function user(auth: string | null): string {
  if (auth === null || auth.slice(0, 6).toLowerCase() !== "basic ") return "-";
  try {
    const decoded = atob(auth.slice(6).trim());
    const colon = decoded.indexOf(":");
    const name = colon === -1 ? decoded : decoded.slice(0, colon);
    return name === "" ? "-" : name;
  } catch {
    return "-";
  }
}

export default {
  fetch(request: Request, info: Deno.ServeHandlerInfo): Response {
    const startedAt = Date.now();
    const response = new Response("Hello, World!\n");
    const headers = request.headers;
    const addr = info.remoteAddr as Deno.NetAddr;
    let client = addr.hostname;
    if (TRUSTED.has(client)) {
      const forwarded = headers.get("x-forwarded-for");
      if (forwarded !== null) client = forwardedClient(forwarded) ?? client;
    }
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("://") + 3);
    const length = response.headers.get("content-length");
    const referer = headers.get("referer") ?? "-";
    const agent = headers.get("user-agent") ?? "-";
    const name = user(headers.get("authorization"));
    // At most 4 bytes per character (`\xNN`; UTF-8 needs at most 3 per UTF-16 unit).
    const most = FIXED_BYTES + 4 * (client.length + name.length + request.method.length +
          url.length + referer.length + agent.length);
    if (used + most > buffer.length) {
      flush();
      if (most > buffer.length) buffer = new Uint8Array(most);
    }
    value(client);
    raw(" - ");
    value(name, 0xff);
    raw(" ");
    raw(clfTime(startedAt));
    raw(' "');
    value(request.method);
    raw(" ");
    value(start === -1 ? "/" : url.slice(start));
    raw(' HTTP/1.1" ');
    raw(String(response.status));
    raw(" ");
    raw(length === null || length === "0" ? "-" : length);
    raw(' "');
    value(referer, 0xff);
    raw('" "');
    value(agent, 0xff);
    raw('"\n');
    timer ??= setTimeout(() => {
      timer = null;
      flush();
    }, 100);
    return response;
  },
};
