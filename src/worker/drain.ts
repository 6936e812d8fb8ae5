/**
 * The measured drain: first answer every response with `Connection: close`
 * for a short while, then, once no request body is still arriving,
 * `shutdown()` every server.
 *
 * Why the linger: `shutdown()` closes idle keep-alive connections at once,
 * and a client that had just sent a request on one sees a reset (about 35
 * failed requests per worker replacement under load, measured). Clients
 * that got `Connection: close` have already closed their side, so they
 * reconnect, and the kernel hands the new connection to a sibling worker.
 *
 * The hard deadline (`graceMs`) is not here: `shutdown()` waits for every
 * handler with no limit and cannot be aborted safely (measured on Deno 2.9:
 * aborting the serve signal after `shutdown()` began threw an uncaught
 * `BadResource` that ended the process), so the worker sets a timer that
 * exits the process.
 *
 * @example
 * ```ts
 * import { drainServers } from "./drain.ts";
 * const server = Deno.serve({ port: 0, onListen() {} }, () => new Response("hi"));
 * await drainServers({ servers: [server], startDrain: () => {}, lingerMs: 0 });
 * ```
 *
 * @module
 */
import { DRAIN_LINGER_MS } from "../ipc/protocol.ts";
import { sleep } from "../platform/timer.ts";

/** Options of {@linkcode drainServers}. */
export interface DrainOptions {
  /** Every server the worker runs. */
  servers: readonly Deno.HttpServer[];
  /** Switches the responses to `Connection: close` (the request guard's `startDrain`). */
  startDrain: () => void;
  /**
   * How long responses say `Connection: close` before the listeners close.
   * @default {300}
   */
  lingerMs?: number;
  /**
   * Asked once, after the linger, for a check the shutdown then waits on while it is true
   * (the request guard's `bodyReadersNow`). `shutdown()` cuts the reads of request bodies
   * still arriving (an upload in flight fails), so a worker with one keeps serving, every
   * response saying `Connection: close`, until it is answered. The worker's own deadline
   * bounds the wait.
   */
  receiving?: () => () => boolean;
  /**
   * Waited on, after the shutdown, while it is true: a server Deno stopped by itself has shut
   * down at once, its requests' handlers still running (their clients cut off).
   */
  busy?: () => boolean;
}

/** How often the checks of {@linkcode DrainOptions} are asked. */
const POLL_MS = 50;

async function waitWhile(check: () => boolean): Promise<void> {
  while (check()) await sleep(POLL_MS);
}

/**
 * Drains: resolves when every server has shut down, that is when the last
 * in-flight request has been answered.
 *
 * @example
 * ```ts
 * import { drainServers } from "./drain.ts";
 * await drainServers({ servers: [], startDrain: () => {} });
 * ```
 */
export async function drainServers(options: DrainOptions): Promise<void> {
  const { servers, startDrain, lingerMs = DRAIN_LINGER_MS, receiving, busy } = options;
  startDrain();
  if (lingerMs > 0) await sleep(lingerMs);
  if (receiving) await waitWhile(receiving());
  await Promise.all(servers.map((server) => server.shutdown()));
  if (busy) await waitWhile(busy);
}
