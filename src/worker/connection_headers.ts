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
 * The app's own word stands: a response that has its own `Keep-Alive`, or
 * says `Connection: close`, gets no hint. And the app's Response is changed
 * only for the request it answers: an app may answer many requests with one
 * bodiless Response it keeps (a 204, a 404), and the `Connection: close` of
 * one connection's last request must not stay on it for every later one. So
 * a Response changed in place is marked, and when it comes through again it
 * is answered as a copy with the app's own header (the original may still
 * wait to be sent, for a request answered at the same moment).
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
    // A frozen Response: even reading its headers fails (Deno's getter writes to it), so it is
    // sent as the app made it, as Deno alone would send it.
    if (!Object.isExtensible(res)) return res;
    // A kept Response Herd changed for an earlier request, which may not be sent yet: this
    // request gets a copy with the app's own header back.
    const changed = (res as Changed)[CHANGED];
    if (changed !== undefined) res = appsOwn(res, changed);
    if (this.#keepAlive === null || this.draining) return setHeader(res, "connection", "close");
    if (info === null) return res;
    const remote = info.remoteAddr;
    // A Unix-socket peer has no port to tell its connections apart: advertise on every response.
    if (remote.transport !== "tcp") return this.#hint(res, this.#keepAlive);
    const seen = this.#countRequest(remote.port);
    if (seen === 0) return setHeader(res, "connection", "close");
    return seen === 1 ? this.#hint(res, this.#keepAlive) : res;
  }

  /** The `Keep-Alive` hint, unless the app gave its own or closes the connection. */
  #hint(res: Response, keepAlive: string): Response {
    const headers = res.headers;
    if (headers.has("keep-alive")) return res;
    const connection = headers.get("connection");
    if (connection !== null && connection.toLowerCase().includes("close")) return res;
    return setHeader(res, "keep-alive", keepAlive, null);
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

// On a Response Herd changed in place: the header it set, and the app's own value of it (null:
// absent). A property of the Response, not a WeakMap entry: reading it on every response costs
// nothing measurable, and only a changed Response gets one.
const CHANGED = Symbol("herd.changedConnectionHeader");
type Change = readonly [name: string, own: string | null];
type Changed = Response & { [CHANGED]?: Change };

/**
 * Sets one header, copying the response first when its headers are
 * immutable (`Response.redirect()`, a response from `fetch()`). A Response
 * changed in place is marked with what it was (`own`: the app's value, when
 * the caller has read it), so that it is never changed again, only copied.
 */
function setHeader(
  res: Changed,
  name: string,
  value: string,
  own: string | null = res.headers.get(name),
): Response {
  try {
    res.headers.set(name, value);
  } catch {
    // TypeError from an immutable header guard: copying is the only way to change it.
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
  res[CHANGED] = [name, own];
  return res;
}

/**
 * A copy of a Response {@linkcode setHeader} changed, with the app's own value of that header:
 * the original may still wait to be sent with the other request's. Only a bodiless Response can
 * be answered twice (a body is sent once), so the copy is cheap.
 */
function appsOwn(res: Response, [name, own]: Change): Response {
  const copy = new Response(res.body, res);
  if (own === null) copy.headers.delete(name);
  else copy.headers.set(name, own);
  return copy;
}
