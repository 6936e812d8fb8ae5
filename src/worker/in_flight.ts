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
  /** True while its `pre_request` hook runs (the app not yet called). */
  inHook = false;
  /** True once answered 503 for `timeout`; the app's late answer is dropped. */
  timedOut = false;
  /** True when its streamed body went past `limit_request_body`. */
  bodyTooLarge = false;
  /** Its neighbours in the {@linkcode InFlightList} that holds it; set by the list only. */
  older: InFlight | null = null;
  /** See {@linkcode older}. */
  newer: InFlight | null = null;
  #remoteAddr: Deno.Addr | null = null;

  /** The peer's address, read from the runtime once, on first use. */
  get remoteAddr(): Deno.Addr {
    return this.#remoteAddr ??= this.#runtimeInfo().remoteAddr;
  }

  /**
   * Reads the peer's address now, for a later reader: Deno refuses it
   * ("Request closed") once the app has upgraded the request to a WebSocket.
   */
  keepRemoteAddr(): void {
    void this.remoteAddr;
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

/**
 * The guard's admitted and unanswered requests, oldest first: a doubly
 * linked list threaded through the entries themselves, so adding and
 * removing allocate nothing.
 *
 * Why not a `Set`: a guard lives as long as its worker, so V8 soon moves its
 * `Set` to the old generation, and from then on every rehash that the
 * add/delete churn causes (one every few requests) allocates the new hash
 * table in the old generation too. Measured on a hello-world server behind
 * the guard, under wrk: about 10 MB more RSS and a full mark-compact every
 * ~0.7 s, against none with this list. (Whether it happens depends on when
 * V8 promotes the `Set`; the runs of Herd's own workers measured did not
 * show it.)
 *
 * @example
 * ```ts
 * import { InFlight, InFlightList } from "./in_flight.ts";
 * const list = new InFlightList();
 * const first = new InFlight(null, null);
 * list.add(first);
 * list.add(new InFlight(null, null));
 * list.delete(first);
 * list.size; // 1
 * ```
 */
export class InFlightList implements Iterable<InFlight> {
  #oldest: InFlight | null = null;
  #newest: InFlight | null = null;
  #size = 0;

  /** How many entries it holds. */
  get size(): number {
    return this.#size;
  }

  /** The entry admitted first, or null when empty. */
  get oldest(): InFlight | null {
    return this.#oldest;
  }

  /**
   * True when it holds `entry`: only the oldest entry has no older
   * neighbour. (An entry is only ever held by its guard's one list.)
   *
   * @example
   * ```ts
   * import { InFlight, InFlightList } from "./in_flight.ts";
   * new InFlightList().has(new InFlight(null, null)); // false
   * ```
   */
  has(entry: InFlight): boolean {
    return entry.older !== null || this.#oldest === entry;
  }

  /**
   * Appends `entry` as the newest. An entry already held is left where it is.
   *
   * @example
   * ```ts
   * import { InFlight, InFlightList } from "./in_flight.ts";
   * new InFlightList().add(new InFlight(null, null));
   * ```
   */
  add(entry: InFlight): void {
    if (this.has(entry)) return;
    entry.older = this.#newest;
    entry.newer = null;
    if (this.#newest === null) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
    this.#size++;
  }

  /**
   * Removes `entry`; false if it was not held (a request answered 503 for
   * its timeout is removed then, and again when the app answers).
   *
   * @example
   * ```ts
   * import { InFlight, InFlightList } from "./in_flight.ts";
   * new InFlightList().delete(new InFlight(null, null)); // false
   * ```
   */
  delete(entry: InFlight): boolean {
    if (!this.has(entry)) return false;
    const { older, newer } = entry;
    if (older === null) this.#oldest = newer;
    else older.newer = newer;
    if (newer === null) this.#newest = older;
    else newer.older = older;
    entry.older = entry.newer = null;
    this.#size--;
    return true;
  }

  /** Oldest first. Deleting the entry just yielded is safe. */
  *[Symbol.iterator](): Iterator<InFlight> {
    let entry = this.#oldest;
    while (entry !== null) {
      const newer = entry.newer;
      yield entry;
      entry = newer;
    }
  }
}
