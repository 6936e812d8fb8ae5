/**
 * Access-log line formatting, Gunicorn style, compiled once.
 *
 * A format string such as `%(h)s "%(r)s" %(s)s %({x-request-id}i)s` is
 * parsed when the logger is created into alternating literal strings and
 * small atom functions, so a request costs a few property reads and string
 * concatenations: no parsing, no `Date` formatting (the timestamp text is
 * cached per second; `toISOString()` per request was a measured cost).
 *
 * Atoms follow Gunicorn: `h` remote address (from a trusted peer or a Unix
 * socket's, the client its `X-Forwarded-For` names: the rightmost address
 * not itself a trusted proxy), `l` `-`, `u` Basic-auth user, `t` `[27/Nov/2026:04:05:06
 * +0000]`, `r` request line, `m` method, `U` path, `q` query, `H` protocol,
 * `s` status, `b` length or `-` (CLF), `B` length, `f` referer, `a` user
 * agent, `T` seconds, `M` milliseconds, `D` microseconds, `L` decimal
 * seconds, `p` `<pid>`, `{name}i` request header, `{name}o` response header,
 * `{name}e` environment variable. Unknown atoms print `-`. Both `%(x)s` and
 * `%(x)d` are accepted, and `%%` is a literal `%`.
 *
 * Values that come from the client are escaped as Apache does (`\"`, `\\`,
 * `\x0a`), so a header cannot forge a field or a line; `json` lines are built
 * with `JSON.stringify` for the same reason.
 *
 * @example
 * ```ts
 * import { compileAccessFormat } from "./access_format.ts";
 * const format = compileAccessFormat('%(h)s "%(r)s" %(s)s', { forwardedAllowIps: ["127.0.0.1"] });
 * format({
 *   req: new Request("http://localhost/a?b=1"),
 *   info: { remoteAddr: { transport: "tcp", hostname: "10.0.0.9", port: 5000 }, completed: Promise.resolve() },
 *   res: new Response("ok"),
 *   startedAtMs: Date.now(),
 *   durationMs: 1.5,
 * }); // '10.0.0.9 "GET /a?b=1 HTTP/1.1" 200'
 * ```
 *
 * @module
 */
import { clfTimeCache, isoTimeCache } from "./timestamps.ts";
import { parseIp, peerMatcher } from "../platform/ip_networks.ts";

/** Everything an access-log line is made from. */
export interface AccessEntry {
  req: Request;
  info: Deno.ServeHandlerInfo;
  res: Response;
  /** When the request arrived, in ms since the epoch. */
  startedAtMs: number;
  /** How long the app took, in ms. */
  durationMs: number;
}

/** What the compiled format needs besides the entry. */
export interface AccessFormatOptions {
  /** Peers whose `X-Forwarded-For` is believed: addresses, CIDR networks; `*` means any peer. */
  forwardedAllowIps: readonly string[];
  /** The pid printed by `%(p)s` and in JSON. @default {Deno.pid} */
  pid?: number;
  /** Reads `%({name}e)s` variables, once, at compile time. @default {Deno.env.get, or `-` without permission} */
  env?: (name: string) => string | undefined;
}

/** Takes each piece of a line in order: literal text and escaped values. */
export type PieceSink = (piece: string) => void;

/**
 * Turns one request into one line (without its newline). A text format can
 * also hand the line over as its pieces (`pieces`), so the writer can copy
 * them into its buffer without building the line as one string first.
 */
export interface AccessFormatter {
  (entry: AccessEntry): string;
  /** The line's pieces, in order; absent for `json`. */
  pieces?: (entry: AccessEntry, sink: PieceSink) => void;
}

type Atom = (entry: AccessEntry) => string;

// Deno.serve does not expose the HTTP version; cleartext HTTP/2 is rare
// enough that HTTP/1.1 is the honest default.
const PROTOCOL = "HTTP/1.1";

// deno-lint-ignore no-control-regex -- matching control characters is the point
const TEXT_NEEDS_ESCAPE = /[\x00-\x1f\x7f-\x9f"\\]/;
// deno-lint-ignore no-control-regex -- as above
const BYTES_NEED_ESCAPE = /[\x00-\x1f\x7f-\xff"\\]/;

/**
 * Escapes `"`, `\` and control characters (C0, DEL and C1) the way Apache
 * does: `\"`, `\\`, `\xhh`. For text: the request line (Deno gives it as
 * text), environment values. Header values are bytes: see
 * {@linkcode escapeHeaderValue}.
 *
 * @example
 * ```ts
 * import { escapeLogValue } from "./access_format.ts";
 * escapeLogValue('a"b\n'); // 'a\\"b\\x0a'
 * escapeLogValue("/caf\u00e9"); // "/café": text, kept
 * ```
 */
export function escapeLogValue(value: string): string {
  return TEXT_NEEDS_ESCAPE.test(value) ? escape(value, 0x9f) : value;
}

/**
 * {@linkcode escapeLogValue} for a header value, which reaches JavaScript as
 * bytes, one character each (0x00–0xff): bytes above 0x7f are written
 * `\xhh` too, as Apache does, the byte the client sent. Written as is, each
 * byte of a UTF-8 sequence came out as a character of its own (`Ã©`).
 */
function escapeHeaderValue(value: string): string {
  return BYTES_NEED_ESCAPE.test(value) ? escape(value, 0xff) : value;
}

// `\xhh` for C0 controls and for DEL up to `highest`.
function escape(value: string, highest: number): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += "\\\\";
    else if (code < 0x20 || (code >= 0x7f && code <= highest)) {
      out += "\\x" + code.toString(16).padStart(2, "0");
    } else out += value[i];
  }
  return out;
}

/** The request target (`/path?query`) of an absolute request URL. */
function requestTarget(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  return start === -1 ? "/" : url.slice(start);
}

function pathOf(url: string): string {
  const target = requestTarget(url);
  const q = target.indexOf("?");
  return q === -1 ? target : target.slice(0, q);
}

function queryOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? "" : url.slice(q + 1);
}

function bodyLength(res: Response): string | null {
  // Only a declared length is known here. Reading `res.body` to learn more would turn a
  // string body into a stream and take Deno off its fast path: measured, the combined
  // format fell from ~150k to ~90k req/s when `%(b)s` did.
  return res.headers.get("content-length");
}

function basicAuthUser(req: Request): string {
  const auth = req.headers.get("authorization");
  if (auth === null || auth.slice(0, 6).toLowerCase() !== "basic ") return "-";
  try {
    const decoded = atob(auth.slice(6).trim());
    const colon = decoded.indexOf(":");
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    return user === "" ? "-" : escapeHeaderValue(user);
  } catch {
    return "-";
  }
}

function remoteAddress(options: AccessFormatOptions): (entry: AccessEntry) => string {
  const trusted = peerMatcher(options.forwardedAllowIps);
  return ({ req, info }) => {
    const addr = info.remoteAddr;
    // A peer on a Unix socket has no address, and is trusted as Gunicorn trusts it: only a
    // local process the socket's permissions let in (the proxy) can connect.
    const peer = "hostname" in addr ? addr.hostname : "-";
    if (peer !== "-" && !trusted(peer)) return peer;
    const forwarded = req.headers.get("x-forwarded-for");
    // An IP address: nothing to escape.
    return forwarded === null ? peer : forwardedClient(forwarded, trusted) ?? peer;
  };
}

/**
 * The client in an `X-Forwarded-For` list that trusted proxies built: each
 * proxy appends the address it saw, so the list is read from the right, past
 * the trusted proxies, to the first address none of them vouches for. What a
 * client wrote itself sits further left and is never taken. Null when an
 * entry is no IP address (the header cannot be believed).
 */
function forwardedClient(header: string, trusted: (ip: string) => boolean): string | null {
  const hops = header.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i].trim();
    if (parseIp(hop) === null) return null;
    if (i === 0 || !trusted(hop)) return hop;
  }
  return null;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function atomTable(options: AccessFormatOptions): Record<string, Atom> {
  const pid = `<${options.pid ?? Deno.pid}>`;
  const clfTime = clfTimeCache();
  const seconds = (ms: number) => ms / 1000;
  return {
    h: remoteAddress(options),
    l: () => "-",
    u: ({ req }) => basicAuthUser(req),
    t: ({ startedAtMs }) => clfTime(startedAtMs),
    r: ({ req }) => escapeLogValue(`${req.method} ${requestTarget(req.url)} ${PROTOCOL}`),
    m: ({ req }) => escapeLogValue(req.method),
    U: ({ req }) => escapeLogValue(pathOf(req.url)),
    q: ({ req }) => escapeLogValue(queryOf(req.url)),
    H: () => PROTOCOL,
    s: ({ res }) => String(res.status),
    b: ({ res }) => {
      const length = bodyLength(res);
      return length === null || length === "0" ? "-" : length;
    },
    B: ({ res }) => bodyLength(res) ?? "-",
    f: ({ req }) => escapeHeaderValue(req.headers.get("referer") ?? "-"),
    a: ({ req }) => escapeHeaderValue(req.headers.get("user-agent") ?? "-"),
    T: ({ durationMs }) => String(Math.trunc(seconds(durationMs))),
    M: ({ durationMs }) => String(Math.trunc(durationMs)),
    D: ({ durationMs }) => String(Math.trunc(durationMs * 1000)),
    L: ({ durationMs }) => seconds(durationMs).toFixed(6),
    p: () => pid,
  };
}

/**
 * The environment variables a text format reads (its `%({NAME}e)s` atoms).
 *
 * @example
 * ```ts
 * import { formatVariables } from "./access_format.ts";
 * formatVariables('%(h)s %({HERD_REGION}e)s'); // ["HERD_REGION"]
 * ```
 */
export function formatVariables(format: string): string[] {
  if (format === "json") return [];
  return atomNames(format).flatMap((name) => /^\{(.+)\}e$/.exec(name)?.[1] ?? []);
}

/**
 * Whether a format writes how long the request took (`%(T)s`, `%(M)s`, `%(D)s`, `%(L)s`, and
 * `json`'s `duration_ms`): its line then waits until the response's body is sent, as
 * Gunicorn's does; other lines go when the handler answers (no promise a request).
 *
 * @example
 * ```ts
 * import { measuresDuration } from "./access_format.ts";
 * measuresDuration('%(h)s "%(r)s" %(s)s %(D)s'); // true
 * measuresDuration('%(h)s "%(r)s" %(s)s'); // false
 * ```
 */
export function measuresDuration(format: string): boolean {
  if (format.trim() === "json") return true;
  return atomNames(format).some((name) => /^[TMDL]$/.test(name));
}

// The names of a text format's atoms, in order (`h`, `{NAME}e`...); `%%` is none.
function atomNames(format: string): string[] {
  return [...format.matchAll(ATOM)].flatMap((m) => m[1] ?? []);
}

// An atom (`%(h)s`, `%({NAME}e)s`; name in group 1) or an escaped `%%`.
const ATOM = /%\(([^)]*)\)[sd]|%%/g;

function braceAtom(name: string, options: AccessFormatOptions): Atom | undefined {
  const match = /^\{(.+)\}([ioe])$/.exec(name);
  if (match === null) return undefined;
  const key = match[1].toLowerCase();
  if (match[2] === "i") return ({ req }) => escapeHeaderValue(req.headers.get(key) ?? "-");
  if (match[2] === "o") return ({ res }) => escapeHeaderValue(res.headers.get(key) ?? "-");
  const value = escapeLogValue((options.env ?? readEnv)(match[1]) ?? "-");
  return () => value;
}

function compileText(format: string, options: AccessFormatOptions): AccessFormatter {
  const table = atomTable(options);
  const literals: string[] = [];
  const atoms: Atom[] = [];
  let literal = "";
  let last = 0;
  for (const match of format.matchAll(ATOM)) {
    literal += format.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === "%%") {
      literal += "%";
      continue;
    }
    const name = match[1];
    literals.push(literal);
    literal = "";
    atoms.push(Object.hasOwn(table, name) ? table[name] : braceAtom(name, options) ?? (() => "-"));
  }
  literals.push(literal + format.slice(last));
  const pieces = (entry: AccessEntry, sink: PieceSink) => {
    sink(literals[0]);
    for (let i = 0; i < atoms.length; i++) {
      sink(atoms[i](entry));
      sink(literals[i + 1]);
    }
  };
  // The line as one string is the same pieces, joined.
  const formatter: AccessFormatter = (entry) => {
    let line = "";
    pieces(entry, (piece) => line += piece);
    return line;
  };
  formatter.pieces = pieces;
  return formatter;
}

function compileJson(options: AccessFormatOptions): AccessFormatter {
  const remote = remoteAddress(options);
  const isoTime = isoTimeCache();
  const pid = options.pid ?? Deno.pid;
  return (entry) => {
    const { req, res } = entry;
    const bytes = bodyLength(res);
    return JSON.stringify({
      time: isoTime(entry.startedAtMs),
      remote: remote(entry),
      method: req.method,
      path: pathOf(req.url),
      query: queryOf(req.url),
      protocol: PROTOCOL,
      status: res.status,
      bytes: bytes === null ? null : Number(bytes),
      referer: headerText(req.headers.get("referer")),
      user_agent: headerText(req.headers.get("user-agent")),
      duration_ms: Math.round(entry.durationMs * 1000) / 1000,
      pid,
    });
  };
}

const UTF8 = new TextDecoder();

// A header value is bytes, one character each: read them as the UTF-8 clients send (an
// invalid sequence becomes U+FFFD), so JSON holds `é`, not the two characters `Ã©`.
function headerText(value: string | null): string | null {
  if (value === null || !/[\x80-\xff]/.test(value)) return value;
  return UTF8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
}

/**
 * Compiles an access-log format (Gunicorn atoms, or `json`) into a function
 * from a request to a line.
 *
 * @example
 * ```ts
 * import { compileAccessFormat } from "./access_format.ts";
 * const toLine = compileAccessFormat("json", { forwardedAllowIps: [] });
 * ```
 */
export function compileAccessFormat(
  format: string,
  options: AccessFormatOptions,
): AccessFormatter {
  return format.trim() === "json" ? compileJson(options) : compileText(format, options);
}
