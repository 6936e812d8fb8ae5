/**
 * One request between its arrival and its response, as the request guard
 * tracks it: start time, the deferred response when the app answers
 * asynchronously, and the deadline that aborts the app's signal.
 *
 * An entry may have no request and no connection info: for an app that
 * declares no parameters, the guard asks Deno for neither (see
 * `request_guard.ts`), and the entry only times and counts the answer.
 *
 * @example
 * ```ts
 * import { InFlight } from "./in_flight.ts";
 * const info = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 } } as Deno.ServeHandlerInfo;
 * const entry = new InFlight(new Request("http://localhost/"), info);
 * entry.defer(); // entry.promise now resolves through entry.resolve(...)
 * ```
 *
 * @module
 */
import { Deadline } from "./request_signal.ts";

/**
 * A request the guard has admitted and not yet answered. It also stands in
 * for the request's `Deno.ServeHandlerInfo` inside Herd: the runtime's
 * `remoteAddr` getter calls into Rust and builds a new object on every read,
 * and both the keep-alive tracking and the access log need it.
 */
export class InFlight extends Deadline implements Deno.ServeHandlerInfo {
  /** `performance.now()` at arrival; the request's age and duration count from here. */
  readonly start: number = performance.now();
  /** The request the app sees (a copy when its body is size-limited); null when not built. */
  req: Request | null;
  /** The runtime's info; null when the request was admitted without one. */
  readonly info: Deno.ServeHandlerInfo | null;
  /** The response promise handed to Deno.serve, once the answer is asynchronous. */
  promise: Promise<Response> | null = null;
  /** Resolves {@linkcode promise}; null until {@linkcode defer}. */
  resolve: ((res: Response) => void) | null = null;
  /** True once the app was called (a `sync` worker's slot is held). */
  running = false;
  /** True once answered 503 for `timeout`; the app's late answer is dropped. */
  timedOut = false;
  /** True when its streamed body went past `limit_request_body`. */
  bodyTooLarge = false;
  #remoteAddr: Deno.Addr | null = null;

  /** The peer's address, read from the runtime once, on first use. */
  get remoteAddr(): Deno.Addr {
    return this.#remoteAddr ??= this.#runtimeInfo().remoteAddr;
  }

  /** The runtime's own promise: resolves once the response was sent. */
  get completed(): Promise<void> {
    return this.#runtimeInfo().completed;
  }

  /**
   * @example
   * ```ts
   * import { InFlight } from "./in_flight.ts";
   * const info = { remoteAddr: { transport: "tcp", hostname: "::1", port: 2 } } as Deno.ServeHandlerInfo;
   * new InFlight(new Request("http://localhost/"), info).start > 0; // true
   * ```
   */
  constructor(req: Request | null, info: Deno.ServeHandlerInfo | null) {
    super();
    this.req = req;
    this.info = info;
  }

  #runtimeInfo(): Deno.ServeHandlerInfo {
    if (this.info === null) {
      throw new TypeError("This request was admitted without connection info");
    }
    return this.info;
  }

  /**
   * Creates {@linkcode promise} (once): from here on the answer goes through
   * {@linkcode resolve}.
   *
   * @example
   * ```ts
   * import { InFlight } from "./in_flight.ts";
   * const info = { remoteAddr: { transport: "unix", path: "/s" } } as Deno.ServeHandlerInfo;
   * const entry = new InFlight(new Request("http://localhost/"), info);
   * entry.defer();
   * entry.resolve!(new Response("late"));
   * ```
   */
  defer(): Promise<Response> {
    this.promise ??= new Promise<Response>((resolve) => this.resolve = resolve);
    return this.promise;
  }
}
