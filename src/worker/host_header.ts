/**
 * The Host header check: a request whose `Host` is not `host[:port]` is
 * answered `400` before the app sees it, as RFC 9112 §3.2 asks.
 *
 * Gunicorn can leave this to the app; Herd cannot, because Deno builds
 * `request.url` by pasting the Host header, unchecked, in front of the
 * request target. `GET /real` with `Host: evil.com/admin` reaches the app as
 * `http://evil.com/admin/real`, so a router (Hono's too) serves `/admin/real`
 * (and a proxy's rule on the path it saw, `/real`, is bypassed);
 * `Host: x?y` sends every path to `/`; `Host: a b` makes
 * `new URL(request.url)` throw.
 *
 * @example
 * ```ts
 * import { isValidHost } from "./host_header.ts";
 * isValidHost("example.com:8000"); // true
 * isValidHost("evil.com/admin"); // false
 * ```
 *
 * @module
 */

// RFC 3986's reg-name without percent-encoding (no client sends it, and a WHATWG URL refuses
// some of it, `%2F` say).
const NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=]+$/;
// A WHATWG URL reads a host whose last label is a number (`1.2.3.4`, `foo.123`, `0x7f`) as an
// IPv4 address, and refuses it unless it is one. The dotted quad is told here; the rarer
// spellings a URL takes (`127.1`, `0x7f.1`, `2130706433`: curl and Deno alone accept them) are
// left to the URL parser.
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0[xX][0-9A-Fa-f]*)\.?$/;
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const DOTTED_QUAD = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}\\.?$`);
const PORT = /^[0-9]{0,5}$/;
const MAX_PORT = 65_535;

/**
 * Whether a Host header's value is a host and optional port that Deno's
 * `request.url` carries unchanged and `new URL(request.url)` parses: a
 * name, an IPv4 address as a URL reads one (`1.2.3.4`, also `127.1` or
 * `0x7f.0.0.1`) or a bracketed IPv6 one. An empty value is valid (Deno then
 * names the server's own address).
 *
 * @example
 * ```ts
 * import { isValidHost } from "./host_header.ts";
 * isValidHost("[::1]:8000"); // true
 * isValidHost("127.1"); // true: 127.0.0.1 to a URL
 * isValidHost("x:99999"); // false: no such port
 * isValidHost("1.2.3.4.5"); // false: a URL refuses it
 * isValidHost("a b"); // false
 * ```
 */
export function isValidHost(value: string): boolean {
  // Clients send the same Host request after request: the regexes, ~1.5% of a hello world's
  // CPU, run once for it. (Only a valid value is kept: the answer depends on the value alone.)
  if (value === lastValid || value === "") return true;
  if (!checkHost(value)) return false;
  lastValid = value;
  return true;
}

let lastValid = "";

function checkHost(value: string): boolean {
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    const rest = value.slice(close + 1);
    if (close === -1 || (rest !== "" && !(rest.startsWith(":") && isPort(rest.slice(1))))) {
      return false;
    }
    // IPv6 has spellings a URL refuses (`[1.2.3.4::]`): ask the URL parser, for this rarer form.
    return URL.canParse(`http://${value.slice(0, close + 1)}/`);
  }
  const colon = value.indexOf(":");
  const host = colon === -1 ? value : value.slice(0, colon);
  if (colon !== -1 && !isPort(value.slice(colon + 1))) return false;
  if (!NAME.test(host)) return false;
  if (NUMERIC_LAST_LABEL.test(host)) {
    return DOTTED_QUAD.test(host) || URL.canParse(`http://${host}/`);
  }
  // An IDNA label must decode: rare enough to ask the URL parser itself.
  return !/xn--/i.test(host) || URL.canParse(`http://${host}/`);
}

function isPort(text: string): boolean {
  return PORT.test(text) && Number(text) <= MAX_PORT;
}

/**
 * `req` as an access-log line should show it after its Host was refused: its
 * URL without what the Host header pasted into the path (`/real`, not
 * `/admin/real`), its method and headers kept. `req` itself when the URL did
 * not come from the Host (an absolute-form request target).
 *
 * @example
 * ```ts
 * import { withoutHost } from "./host_header.ts";
 * const req = new Request("http://evil.com/admin/real");
 * new URL(withoutHost(req, "evil.com/admin").url).pathname; // "/real"
 * ```
 */
export function withoutHost(req: Request, host: string): Request {
  const url = req.url;
  const authority = url.indexOf("://") + 3;
  if (!url.startsWith(host, authority)) return req;
  const rest = url.slice(authority + host.length);
  const target = rest.startsWith("/") ? rest : "/";
  try {
    return new Request(`http://invalid-host${target}`, {
      method: req.method,
      headers: req.headers,
    });
  } catch {
    // A method a Request cannot be built with (CONNECT, TRACE): the line keeps Deno's URL.
    return req;
  }
}
