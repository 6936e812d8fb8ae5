/**
 * `X-Forwarded-Proto: https` from a trusted proxy (`forwarded_allow_ips`)
 * makes the app's `request.url` start with `https:`, as Gunicorn's
 * `secure_scheme_headers` make its `wsgi.url_scheme`. Behind a proxy or load
 * balancer that ends TLS, an app that builds absolute URLs (a redirect, an
 * OAuth callback) or checks the scheme (a `Secure` cookie) would otherwise
 * see `http:`. From any other peer the header is ignored: a client could
 * send it itself.
 *
 * A direct client sends no such header, and then costs one header lookup
 * (the request's headers are read anyway for the `Host` check); the peer is
 * read only when the header is there. The URL is changed by a getter put on
 * `Request.prototype` once (`request_getter.ts`), for requests that carry a
 * mark. A copy the app makes itself (`new Request(req)`) has the runtime's
 * URL.
 *
 * @example
 * ```ts
 * import { forwardedSchemeCheck } from "./forwarded_scheme.ts";
 * const mark = forwardedSchemeCheck(["127.0.0.1"])!;
 * const req = new Request("http://example.com/", { headers: { "x-forwarded-proto": "https" } });
 * mark(req, { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 5000 } });
 * req.url; // "https://example.com/"
 * ```
 *
 * @module
 */
import { peerMatcher } from "../platform/ip_networks.ts";
import { wrapRequestGetter } from "./request_getter.ts";

const FORWARDED_HTTPS = Symbol("herd.forwarded-https");

type Marked = Request & { [FORWARDED_HTTPS]?: true };

// Replaces `Request.prototype.url` with a getter that honours the mark; once per process. An
// unknown runtime shape keeps the runtime's URLs.
function installUrlGetter(): void {
  wrapRequestGetter<string>("url", (runtime) =>
    function (this: Marked): string {
      const url = runtime.call(this);
      return this[FORWARDED_HTTPS] && url.startsWith("http:") ? `https:${url.slice(5)}` : url;
    });
}

/**
 * A check that marks a request whose trusted peer says it came over HTTPS,
 * or null when no peer is trusted (`forwarded_allow_ips` empty).
 *
 * @example
 * ```ts
 * import { forwardedSchemeCheck } from "./forwarded_scheme.ts";
 * forwardedSchemeCheck([]); // null
 * ```
 */
export function forwardedSchemeCheck(
  trustedPeers: readonly string[],
): ((req: Request, info: { readonly remoteAddr: Deno.Addr }) => void) | null {
  if (trustedPeers.length === 0) return null;
  installUrlGetter();
  const trusted = peerMatcher(trustedPeers);
  return (req, info) => {
    const proto = req.headers.get("x-forwarded-proto");
    if (proto === null) return;
    // Proxies that append give `https, http`: the first is the client's own.
    const first = proto.split(",", 1)[0].trim().toLowerCase();
    if (first !== "https") return;
    const addr = info.remoteAddr;
    // A Unix-socket peer is a local process the socket's mode let in (the proxy), as for the
    // access log's `%(h)s`.
    if ("hostname" in addr && !trusted(addr.hostname)) return;
    (req as Marked)[FORWARDED_HTTPS] = true;
  };
}
