/**
 * The request guard: wraps the app's fetch with everything Herd promises
 * per request (counters for heartbeats, `timeout` → 503, `sync` one at a
 * time or the `async` in-flight cap, request limits, keep-alive headers,
 * the worker hooks and the access log). A request the app would see with a
 * path its Host header rewrote is refused with `400` (see `host_header.ts`).
 * An answer Deno cannot send (not a Response, `Response.error()`, a body
 * already used) is a `500` and one error-log line, not a dead worker; a
 * WebSocket upgrade's `101` passes through untouched.
 *
 * The request path is the product, so each feature costs nothing when it is
 * off: hooks, the access log, limits and the deadline are wired in only when
 * configured. Timeouts are found by one sweeping interval over the in-flight
 * list (oldest first), never a timer per request.
 *
 * Deno builds a `Request` and its info only for a handler that declares
 * parameters. So when the app declares none and no configured feature reads
 * the request (access log, hooks, limits), the guarded handler declares none
 * either and keeps that path: a hello-world worker then spends about 5% less
 * CPU per request (no request, no peer address, no per-connection count;
 * `deno task bench` with and without `--app scripts/bench/hello_request_app.ts`).
 * Keep-alive then works without knowing the connection (see
 * `connection_headers.ts`).
 *
 * @example
 * ```ts
 * import { createRequestGuard } from "./request_guard.ts";
 * const guard = createRequestGuard(() => new Response("hi"), {
 *   workerClass: "async", maxInFlight: 1000, timeoutS: 30, keepaliveS: 2, keepaliveRequests: 0,
 *   limits: { line: 4094, fields: 100, fieldSize: 8190, body: 0 },
 * });
 * const server = Deno.serve({ port: 0, onListen() {} }, guard.handler);
 * // ... later: close() writes the access-log lines still waiting, so it goes last
 * await server.shutdown();
 * guard.close();
 * ```
 *
 * @module
 */
import type { RequestStats } from "../ipc/protocol.ts";
import { hookFailureLogger, type Hooks, runHook, type WorkerContext } from "../hooks.ts";
import { thrownText, workerPermissionAdvice } from "../error_text.ts";
import { getLog } from "../logging/log.ts";
import type { AccessLogger } from "../logging/access_log.ts";
import { ConnectionHeaders } from "./connection_headers.ts";
import { isValidHost, withoutHost } from "./host_header.ts";
import { InFlight, InFlightList } from "./in_flight.ts";
import { forwardedSchemeCheck } from "./forwarded_scheme.ts";
import {
  createLimitCheck,
  type LimitCheck,
  limitResponse,
  limitStreamedBody,
  type RequestLimits,
} from "./request_limits.ts";
import { attachDeadline, installDeadlineSignal } from "./request_signal.ts";
import { RequestCounters } from "./request_stats.ts";
import { every, type Timer } from "../platform/timer.ts";

/** What Deno.serve calls: the app's shape, too. */
export type FetchHandler = (
  req: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** An app that declares no parameters (`fetch.length === 0`): called without a request. */
type RequestFreeHandler = () => Response | Promise<Response>;

/** The access logger's request-path method and timing: all the guard needs of it. */
export type AccessLogWriter = Pick<AccessLogger, "write" | "timesBody">;

/** Options of {@linkcode createRequestGuard}, from the worker's settings. */
export interface RequestGuardOptions {
  /** `worker_class`: `sync` runs one request at a time in the app. */
  workerClass: "sync" | "async";
  /** `worker_connections`: most requests in flight for `async`; past it, 503. */
  maxInFlight: number;
  /** `timeout` in seconds; 0 = off. */
  timeoutS: number;
  /** `keepalive` in seconds; 0 = `Connection: close` on every response. */
  keepaliveS: number;
  /** `keepalive_requests`; 0 = no per-connection cap. */
  keepaliveRequests: number;
  /** `limit_request_*`. */
  limits: RequestLimits;
  /**
   * `forwarded_allow_ips`: peers whose `X-Forwarded-Proto: https` makes the app's
   * `request.url` https (see `forwarded_scheme.ts`). Absent or empty: none.
   */
  forwardedAllowIps?: readonly string[];
  /** `pre_request` / `post_request`, when set, with the context they receive. */
  hooks?: {
    context: WorkerContext;
    preRequest?: Hooks["pre_request"] | null;
    postRequest?: Hooks["post_request"] | null;
  };
  /** The access log, or null when it is off. */
  accessLog?: AccessLogWriter | null;
  /**
   * Called once, when the worker has answered this many requests (its `max_requests`; 0 or
   * absent: never), so the master can recycle it without waiting for the next heartbeat.
   */
  recycleAt?: { served: number; notify: () => void };
  /** Called as each request is answered, with `performance.now()` (the heartbeat's `ifDue`). */
  answered?: (now: number) => void;
  /**
   * Called (once) when a `sync` worker's running request passes `timeout`: it is answered 503,
   * but its handler still runs and keeps the worker's one slot until it returns, so the worker
   * asks to be replaced, as Gunicorn kills a sync worker at its timeout.
   */
  syncStuck?: () => void;
}

/** A guarded handler and what the worker reads or drives around it. */
export interface RequestGuard extends Disposable {
  /** Pass to Deno.serve. */
  readonly handler: FetchHandler;
  /**
   * False when neither the app nor a configured feature reads the request, so
   * Deno builds none (and keep-alive cannot tell connections apart).
   */
  readonly readsRequest: boolean;
  /** True once {@linkcode startDrain} was called. */
  readonly draining: boolean;
  /** Requests whose response the app has not given yet (queued ones included). */
  readonly inFlight: number;
  /**
   * Takes the requests in flight now whose body the app has started to read (an upload, which
   * `server.shutdown()` would cut: Deno closes half-received requests), and returns a check
   * that stays true while one of them is unanswered. Deno tells no more: a body read to its
   * end counts until answered too. Requests that come later are not counted, so a drain that
   * waits on it ends however busy the worker stays.
   */
  bodyReadersNow(): () => boolean;
  /** Counters for a heartbeat. */
  stats(rss: number): RequestStats;
  /** From now on every response says `Connection: close`. */
  startDrain(): void;
  /**
   * Stops the timeout sweep and writes the access-log lines still waiting for their body to
   * be sent (a duration format): the worker is exiting, and they would be lost. Idempotent.
   */
  close(): void;
}

const log = getLog("worker");
const hookFailed = hookFailureLogger(log);

/**
 * Wraps `app` with the guard described by `options`.
 *
 * @example
 * ```ts
 * import { createRequestGuard } from "./request_guard.ts";
 * const guard = createRequestGuard(() => new Response("ok"), {
 *   workerClass: "sync", maxInFlight: 1, timeoutS: 0, keepaliveS: 0, keepaliveRequests: 0,
 *   limits: { line: 0, fields: 0, fieldSize: 0, body: 0 },
 * });
 * guard.stats(0).served; // 0
 * guard.close();
 * ```
 */
export function createRequestGuard(
  app: FetchHandler,
  options: RequestGuardOptions,
): RequestGuard {
  return new Guard(app, options);
}

class Guard implements RequestGuard {
  readonly #app: FetchHandler;
  readonly #sync: boolean;
  readonly #maxInFlight: number;
  readonly #timeoutMs: number;
  readonly #bodyLimit: number;
  readonly #limitCheck: LimitCheck | null;
  readonly #connection: ConnectionHeaders;
  readonly #forwardedScheme: ((req: Request, entry: InFlight) => void) | null;
  readonly #readsPeer: boolean;
  readonly #hooks: RequestGuardOptions["hooks"] | null;
  readonly #accessLog: AccessLogWriter | null;
  readonly #recycleAt: number;
  readonly #recycleDue: () => void;
  readonly #answered: (now: number) => void;
  #syncStuck: (() => void) | null;
  readonly #counters = new RequestCounters();
  // Oldest first, so the sweep and oldestMs look only at the front.
  readonly #inFlight = new InFlightList();
  readonly #queue: InFlight[] = [];
  #busy = false;
  #sweep: Timer | null = null;
  // Access-log lines waiting for their body to be sent (duration formats only).
  readonly #unlogged = new Set<() => void>();
  readonly handler: FetchHandler;
  readonly readsRequest: boolean;

  constructor(app: FetchHandler, options: RequestGuardOptions) {
    this.#app = app;
    this.#sync = options.workerClass === "sync";
    this.#maxInFlight = options.maxInFlight;
    this.#timeoutMs = options.timeoutS * 1000;
    this.#bodyLimit = options.limits.body;
    this.#limitCheck = createLimitCheck(options.limits);
    this.#connection = new ConnectionHeaders({
      keepaliveS: options.keepaliveS,
      maxRequests: options.keepaliveRequests,
    });
    const hooks = options.hooks;
    this.#hooks = hooks?.preRequest || hooks?.postRequest ? hooks : null;
    this.#accessLog = options.accessLog ?? null;
    this.#readsPeer = this.#accessLog !== null || options.keepaliveS > 0;
    this.#recycleAt = options.recycleAt?.served ?? 0;
    this.#recycleDue = options.recycleAt?.notify ?? (() => {});
    this.#answered = options.answered ?? (() => {});
    this.#syncStuck = options.syncStuck ?? null;
    this.readsRequest = app.length > 0 || this.#limitCheck !== null || this.#bodyLimit > 0 ||
      this.#hooks !== null || this.#accessLog !== null;
    this.handler = this.readsRequest ? this.#withRequest : this.#withoutRequest;
    // Only the app and the request hooks see the request's URL (not the access log's lines).
    this.#forwardedScheme = app.length > 0 || this.#hooks !== null
      ? forwardedSchemeCheck(options.forwardedAllowIps ?? [])
      : null;
    if (this.#timeoutMs > 0) {
      installDeadlineSignal();
      // A quarter of the timeout keeps a 503 within 1.25 × timeout, capped so long
      // timeouts are still answered within a quarter second of expiry.
      const period = Math.min(250, Math.max(10, this.#timeoutMs / 4));
      this.#sweep = every(period, () => this.#expire(performance.now()));
    }
  }

  get draining(): boolean {
    return this.#connection.draining;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  bodyReadersNow(): () => boolean {
    const readers = [...this.#inFlight].filter((entry) => entry.req?.bodyUsed);
    return () => readers.some((entry) => this.#inFlight.has(entry));
  }

  readonly #withRequest = (req: Request, info: Deno.ServeHandlerInfo) => {
    const entry = new InFlight(req, info);
    // The access log and keep-alive read the peer anyway; read before the app, it survives an
    // upgrade (Deno refuses it once the app upgraded the request, even if it answers otherwise).
    if (this.#readsPeer) entry.keepRemoteAddr();
    const host = req.headers.get("host");
    if (host !== null && !isValidHost(host)) {
      entry.req = withoutHost(req, host);
      return this.#complete(entry, limitResponse(400, "Bad Request: invalid Host header"));
    }
    const refused = this.#limitCheck?.(req) ?? this.#overCapacity();
    if (refused !== null) return this.#complete(entry, refused);
    let request = req;
    if (this.#bodyLimit > 0) {
      request = entry.req = limitStreamedBody(req, {
        limit: this.#bodyLimit,
        onExceeded: () => entry.bodyTooLarge = true,
      });
    }
    this.#forwardedScheme?.(request, entry);
    if (this.#timeoutMs > 0) attachDeadline(request, entry);
    return this.#admit(entry);
  };

  readonly #withoutRequest = () => {
    const entry = new InFlight(null, null);
    const refused = this.#overCapacity();
    if (refused !== null) return this.#complete(entry, refused);
    return this.#admit(entry);
  };

  #admit(entry: InFlight): Response | Promise<Response> {
    this.#inFlight.add(entry);
    if (this.#sync) {
      if (this.#busy) {
        this.#queue.push(entry);
        return entry.defer();
      }
      this.#busy = true;
    }
    return this.#begin(entry) ?? entry.promise!;
  }

  stats(rss: number): RequestStats {
    const oldest = this.#inFlight.oldest;
    const oldestMs = oldest === null ? 0 : Math.round(performance.now() - oldest.start);
    return this.#counters.snapshot({ inFlight: this.#inFlight.size, oldestMs, rss });
  }

  startDrain(): void {
    this.#connection.draining = true;
  }

  close(): void {
    this.#sweep?.cancel();
    this.#sweep = null;
    for (const write of [...this.#unlogged]) write();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #overCapacity(): Response | null {
    if (this.#sync || this.#inFlight.size < this.#maxInFlight) return null;
    this.#counters.rejected++;
    return new Response("Service Unavailable: worker at its connection limit\n", {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "1" },
    });
  }

  /** Runs the app (after `pre_request`). Returns the response if it is already there. */
  #begin(entry: InFlight): Response | undefined {
    entry.running = true;
    const hooks = this.#hooks;
    const req = entry.req;
    if (!hooks?.preRequest || req === null) return this.#call(entry);
    entry.defer();
    entry.inHook = true;
    runHook("pre_request", hooks.preRequest, [hooks.context, req], hookFailed).then(() => {
      entry.inHook = false;
      if (entry.timedOut) return this.#release();
      const res = this.#call(entry);
      if (res !== undefined) entry.resolve!(res);
    });
    return undefined;
  }

  #call(entry: InFlight): Response | undefined {
    let result: Response | Promise<Response>;
    try {
      result = entry.req === null
        ? (this.#app as RequestFreeHandler)()
        : this.#app(entry.req, entry.info!);
    } catch (error) {
      return this.#done(entry, this.#failure(entry, error));
    }
    if (isSendable(result)) return this.#done(entry, result);
    // A promise, or an answer #settle turns into a 500.
    entry.defer();
    Promise.resolve(result).then(
      (res) => this.#settle(entry, res),
      (error) => this.#settle(entry, this.#failure(entry, error)),
    );
    return undefined;
  }

  #settle(entry: InFlight, res: Response): void {
    if (!isSendable(res)) res = this.#failure(entry, notAResponse(res));
    if (entry.timedOut) {
      // Already answered 503: release what the late response holds, and a sync worker's slot.
      res.body?.cancel().catch(() => {});
      return this.#release();
    }
    entry.resolve!(this.#done(entry, res));
  }

  #done(entry: InFlight, res: Response): Response {
    this.#inFlight.delete(entry);
    if (this.#sync) queueMicrotask(() => this.#next());
    return this.#complete(entry, res);
  }

  /** A timed-out request's handler has returned: a `sync` worker's slot is free again. */
  #release(): void {
    if (this.#sync) queueMicrotask(() => this.#next());
  }

  /** Starts the next queued request of a `sync` worker (a microtask, so no recursion). */
  #next(): void {
    let entry: InFlight | undefined;
    while ((entry = this.#queue.shift()) !== undefined && entry.timedOut);
    if (entry === undefined) {
      this.#busy = false;
      return;
    }
    const res = this.#begin(entry);
    if (res !== undefined) entry.resolve!(res);
  }

  #complete(entry: InFlight, response: Response): Response {
    const now = performance.now();
    const durationMs = now - entry.start;
    this.#answered(now);
    const status = response.status;
    this.#counters.record(status, durationMs / 1000);
    // Exactly once: `served` passes the limit a single time.
    if (this.#counters.served === this.#recycleAt) queueMicrotask(this.#recycleDue);
    const req = entry.req;
    // A WebSocket upgrade's response is Deno's to send as it is, and its connection is no
    // longer HTTP: no keep-alive headers (a copy of it would not be the upgrade any more).
    const res = status === 101
      ? response
      : this.#connection.apply(response, req === null ? null : entry);
    // Hooks and the access log are only configured when requests are built.
    if (req === null) return res;
    const hooks = this.#hooks;
    if (hooks?.postRequest) {
      // Not awaited: the response must not wait for a hook (runHook never rejects).
      runHook("post_request", hooks.postRequest, [hooks.context, req, res, durationMs], hookFailed);
    }
    const accessLog = this.#accessLog;
    if (accessLog === null) return res;
    const startedAtMs = performance.timeOrigin + entry.start;
    if (!accessLog.timesBody) accessLog.write(req, entry, res, startedAtMs, durationMs);
    else {
      // Its duration runs until the body is sent (or the client went away). Deno refuses a
      // request's method and URL once its response is sent unless read before (its headers
      // were, for the Host check).
      void req.method;
      void req.url;
      const write = () => {
        if (!this.#unlogged.delete(write)) return;
        accessLog.write(req, entry, res, startedAtMs, performance.now() - entry.start);
      };
      this.#unlogged.add(write);
      entry.completed.then(write, write);
    }
    return res;
  }

  #stuck(): void {
    const stuck = this.#syncStuck;
    this.#syncStuck = null;
    stuck?.();
  }

  /** Why `entry` is answered 503 for `timeout`, and where it was. */
  #timeoutLine(entry: InFlight): string {
    const seconds = this.#timeoutMs / 1000;
    const where = entry.inHook
      ? ", its pre_request hook still running"
      : !entry.running
      ? ", still waiting its turn in this sync worker"
      : this.#sync
      ? ", its handler still running"
      : "";
    // It holds a sync worker's one slot until it returns: the worker asks to be replaced.
    const replaced = this.#sync && entry.running ? " (this sync worker is replaced)" : "";
    return `No response within ${seconds} s to ${
      this.#describe(entry)
    }${where}${replaced}: answered 503`;
  }

  /** The request in a log line: method and URL, when it was built. */
  #describe(entry: InFlight): string {
    return entry.req === null ? "a request" : `${entry.req.method} ${entry.req.url}`;
  }

  #failure(entry: InFlight, error: unknown): Response {
    // Answered 503 already: a failure now (its body read cut at the deadline) is the timeout's.
    if (entry.timedOut) return timeoutResponse(this.#timeoutMs);
    if (entry.bodyTooLarge) return limitResponse(413, "Content Too Large");
    // Whatever was thrown, the request is answered: describing it must not throw.
    const detail = workerPermissionAdvice(
      isNotAResponse(error) ? error.message : thrownText(error),
    );
    log.error(`Error in the app for ${this.#describe(entry)}: ${detail}`);
    return new Response("Internal Server Error\n", {
      status: 500,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }

  /** Answers 503 to every request older than `timeout` and aborts its signal. */
  #expire(now: number): void {
    let first: string | null = null;
    let others = 0;
    for (const entry of this.#inFlight) {
      if (now - entry.start < this.#timeoutMs) break;
      this.#inFlight.delete(entry);
      entry.timedOut = true;
      entry.abort();
      this.#counters.timedOut++;
      if (first === null) first = this.#timeoutLine(entry);
      else others++;
      // One request at a time holds past a timeout too: the handler still runs, so the slot
      // stays taken until it returns (#release), and the worker asks to be replaced, so that a
      // handler that never returns cannot hold it for good.
      if (this.#sync && entry.running) this.#stuck();
      entry.resolve?.(this.#complete(entry, timeoutResponse(this.#timeoutMs)));
    }
    // One line a sweep: a stuck upstream times out requests by the thousand.
    if (first !== null) {
      const more = others === 1 ? "1 more request" : `${others} more requests`;
      log.warning(others === 0 ? first : `${first} (and ${more}, also 503)`);
    }
  }
}

/**
 * A Response Deno can send: not `Response.error()` (status 0), which fails the connection,
 * nor one whose body was already read or sent (a Response kept and returned again), for which
 * Deno answers 500 itself. A Response-like object that is no real one throws on its getters.
 */
function isSendable(value: unknown): value is Response {
  try {
    return value instanceof Response && value.status !== 0 && !value.bodyUsed;
  } catch {
    return false;
  }
}

/** The app answered something Deno cannot send; its stack would only show Herd's frames. */
class NotAResponse extends TypeError {}

function isNotAResponse(error: unknown): error is NotAResponse {
  try {
    return error instanceof NotAResponse;
  } catch {
    return false; // A revoked Proxy: `instanceof` throws.
  }
}

/** What the app answered instead of a Response (or `Response.error()`), as an error to log. */
function notAResponse(value: unknown): NotAResponse {
  try {
    return describeNotAResponse(value);
  } catch {
    return new NotAResponse("The app answered a value that cannot be inspected, not a Response");
  }
}

function describeNotAResponse(value: unknown): NotAResponse {
  if (value instanceof Response) {
    let why = "an object that is no real Response";
    try {
      why = value.bodyUsed
        ? "a Response whose body was already read or sent (one Response serves one request)"
        : "Response.error(), a network error no server can send";
    } catch {
      // Object.create(Response.prototype): its getters throw.
    }
    return new NotAResponse(`The app answered ${why}`);
  }
  const what = value === null || value === undefined
    ? String(value)
    : typeof value === "object"
    ? `an object (${Object.prototype.toString.call(value)})`
    : `a ${typeof value}`;
  return new NotAResponse(
    `The app answered ${what}, not a Response (or a promise resolving to one)`,
  );
}

function timeoutResponse(timeoutMs: number): Response {
  return new Response(`Service Unavailable: no response within ${timeoutMs / 1000} s\n`, {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
