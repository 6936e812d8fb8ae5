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
// some of it, `%2F` say), or a bracketed IPv6 address; then an optional port.
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{0,5}))?$/;
const MAX_PORT = 65_535;

/**
 * Whether a Host header's value is a host and optional port that Deno's
 * `request.url` can carry unchanged. An empty value is valid (Deno then
 * names the server's own address).
 *
 * @example
 * ```ts
 * import { isValidHost } from "./host_header.ts";
 * isValidHost("[::1]:8000"); // true
 * isValidHost("x:99999"); // false: no such port
 * isValidHost("a b"); // false
 * ```
 */
export function isValidHost(value: string): boolean {
  const match = HOST.exec(value);
  return match !== null && (match[1] === undefined || Number(match[1]) <= MAX_PORT);
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
