/**
 * The `Connection` / `Keep-Alive` headers of every response: what Herd
 * advertises about keep-alive, the per-connection request cap, and closing
 * while the worker drains.
 *
 * Deno 2.9's server neither closes idle connections nor honours a handler's
 * `Connection: close` (it sends it and keeps the socket open), so these
 * headers are advice that well-behaved clients (browsers, curl, wrk, proxies)
 * follow; the runtime enforces nothing.
 *
 * `Keep-Alive` goes on the first response of each connection only: any
 * response header takes Deno off its fast path, about 1 µs of server CPU a
 * request (measured: hello-world 8.0 → 9.0 µs), so repeating an unchanging
 * hint on every response would cost more than the rest of Herd's request
 * path together.
 *
 * Without connection info (an app that takes no request, served without
 * Deno building one), connections cannot be told apart: no `Keep-Alive`
 * hint is sent and `keepalive_requests` does not apply; only a draining
 * worker closes. Closing every Nth response of the worker instead was
 * tried: each close makes the client reconnect, and a reconnect that lands
 * on a listener being closed by a recycle is reset (1–4 failed requests per
 * `deno task bench:recycle` phase, against 0 without).
 *
 * @example
 * ```ts
 * import { ConnectionHeaders } from "./connection_headers.ts";
 * const policy = new ConnectionHeaders({ keepaliveS: 2, maxRequests: 100 });
 * const remoteAddr: Deno.Addr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 };
 * policy.apply(new Response("hi"), { remoteAddr }).headers.get("keep-alive"); // "timeout=2, max=100"
 * policy.apply(new Response("hi"), { remoteAddr }).headers.get("keep-alive"); // null: said once
 * ```
 *
 * @module
 */

/** Options of {@linkcode ConnectionHeaders}. */
export interface ConnectionHeadersOptions {
  /** `keepalive` in seconds; 0 closes every connection after its response. */
  keepaliveS: number;
  /** `keepalive_requests`; 0 = no per-connection cap. */
  maxRequests: number;
  /**
   * Most connections whose request count is remembered; the oldest is
   * forgotten past it (it then starts counting again).
   * @default {10000}
   */
  maxTracked?: number;
}

/** Sets the connection headers on responses; one instance per worker. */
export class ConnectionHeaders {
  /** While true, every response says `Connection: close` (the worker is draining). */
  draining = false;
  readonly #keepAlive: string | null;
  readonly #maxRequests: number;
  readonly #maxTracked: number;
  // Requests seen per peer port. Deno gives no connection identity or close event, so the
  // peer's port stands in for the connection and the map is bounded instead of cleaned up.
  // The port alone (not "host:port") keeps the key a small integer: building a string key
  // per request measured ~2% of hello-world throughput. Two peers on different hosts with
  // the same port at once share a count: at worst one gets its Keep-Alive hint or its
  // Connection: close a little early or late.
  readonly #counts = new Map<number, number>();

  /**
   * @example
   * ```ts
   * import { ConnectionHeaders } from "./connection_headers.ts";
   * new ConnectionHeaders({ keepaliveS: 0, maxRequests: 0 }); // always Connection: close
   * ```
   */
  constructor(options: ConnectionHeadersOptions) {
    const { keepaliveS, maxRequests, maxTracked = 10_000 } = options;
    this.#keepAlive = keepaliveS > 0
      ? `timeout=${Math.ceil(keepaliveS)}${maxRequests > 0 ? `, max=${maxRequests}` : ""}`
      : null;
    this.#maxRequests = keepaliveS > 0 ? maxRequests : 0;
    this.#maxTracked = maxTracked;
  }

  /**
   * Adds the headers to `res` (a copy when its headers are immutable) and
   * returns it. `info` gives the peer; it is read only when requests are
   * counted per connection. `null`: the connection is unknown.
   *
   * @example
   * ```ts
   * import { ConnectionHeaders } from "./connection_headers.ts";
   * const policy = new ConnectionHeaders({ keepaliveS: 5, maxRequests: 0 });
   * const remoteAddr: Deno.Addr = { transport: "tcp", hostname: "127.0.0.1", port: 5000 };
   * policy.apply(new Response("ok"), { remoteAddr });
   * policy.apply(new Response("ok"), null); // unchanged: no connection to count or hint
   * ```
   */
  apply(res: Response, info: { readonly remoteAddr: Deno.Addr } | null): Response {
    if (this.#keepAlive === null || this.draining) return setHeader(res, "connection", "close");
    if (info === null) return res;
    const remote = info.remoteAddr;
    // A Unix-socket peer has no port to tell its connections apart: advertise on every response.
    if (remote.transport !== "tcp") return setHeader(res, "keep-alive", this.#keepAlive);
    const seen = this.#countRequest(remote.port);
    if (seen === 0) return setHeader(res, "connection", "close");
    return seen === 1 ? setHeader(res, "keep-alive", this.#keepAlive) : res;
  }

  /** Counts one request on the connection: its number, or 0 when it is the last one allowed. */
  #countRequest(key: number): number {
    const seen = (this.#counts.get(key) ?? 0) + 1;
    if (this.#maxRequests > 0 && seen >= this.#maxRequests) {
      this.#counts.delete(key);
      return 0;
    }
    if (seen === 1 && this.#counts.size >= this.#maxTracked) {
      this.#counts.delete(this.#counts.keys().next().value!);
    }
    this.#counts.set(key, seen);
    return seen;
  }
}

/**
 * Sets one header, copying the response first when its headers are
 * immutable (`Response.redirect()`, a response from `fetch()`).
 */
function setHeader(res: Response, name: string, value: string): Response {
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    // TypeError from an immutable header guard: copying is the only way to change it.
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}
