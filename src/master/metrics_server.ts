/**
 * The master's Prometheus endpoint (`metrics_bind`): `GET /metrics` answers
 * with {@linkcode renderMetrics} of a snapshot taken at scrape time; every
 * other path is 404. It runs in the master, beside the control socket, so a
 * scrape never lands on a worker and sees the whole workforce at once.
 *
 * A master started by USR2 finds the port still held by its predecessor,
 * which serves its own metrics until it exits: such a master waits for the
 * port instead of failing (see {@linkcode MetricsEndpointOptions.waitForPort}).
 *
 * @example
 * ```ts
 * import { MetricsEndpoint } from "./metrics_server.ts";
 * import { emptyStats } from "../metrics/prometheus.ts";
 * const endpoint = MetricsEndpoint.open({
 *   bind: "127.0.0.1:9091",
 *   snapshot: () => ({ workers: [], retired: emptyStats(), restarts: {} }),
 * });
 * await endpoint.close();
 * ```
 *
 * @module
 */
import { parseBind } from "../settings/addresses.ts";
import { emptyStats, type MetricsSnapshot, renderMetrics } from "../metrics/prometheus.ts";
import { getLog } from "../logging/log.ts";
import { listenFailure } from "./listener_check.ts";
import { errorMessage, firstLine } from "../error_text.ts";
import type { Workforce } from "./workforce.ts";
import { FailureEpisode } from "./failure_episode.ts";

/** The content type of the text exposition format 0.0.4. */
const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** How often a master waiting for its predecessor's port tries again. */
const RETRY_MS = 250;

/** A `HOST:PORT` split for `Deno.serve`. */
export interface BindAddress {
  hostname: string;
  port: number;
}

/**
 * The address `metrics_bind` (`HOST:PORT`, IPv6 in brackets) names, read by
 * the settings' own bind parser (the setting was checked with it already).
 *
 * @throws {TypeError} when it is not a TCP address
 * @example
 * ```ts
 * import { metricsAddress } from "./metrics_server.ts";
 * metricsAddress("127.0.0.1:9091"); // { hostname: "127.0.0.1", port: 9091 }
 * metricsAddress("[::1]:9091"); // { hostname: "::1", port: 9091 }
 * ```
 */
export function metricsAddress(bind: string): BindAddress {
  const address = parseBind(bind);
  if (address.transport !== "tcp") throw new TypeError(`Invalid metrics_bind "${bind}"`);
  return { hostname: address.hostname, port: address.port };
}

/**
 * The metrics snapshot of a workforce: live workers with their latest
 * heartbeat stats, the retired workers' sums, restarts by reason.
 *
 * @example
 * ```ts
 * import { workforceSnapshot } from "./metrics_server.ts";
 * // renderMetrics(workforceSnapshot(arbiter.workforce));
 * ```
 */
export function workforceSnapshot(workforce: Workforce): MetricsSnapshot {
  const workers = [...workforce.workers.values()].map((w) => ({
    id: w.id,
    pid: w.pid,
    state: w.state,
    stats: w.stats ?? emptyStats(),
  }));
  return { workers, retired: workforce.retired, restarts: { ...workforce.restarts } };
}

/**
 * Answers one request to the metrics endpoint. Pure apart from calling
 * `render`, which is only called for a scrape.
 */
function metricsResponse(req: Request, render: () => string): Response {
  if (new URL(req.url).pathname !== "/metrics") {
    return new Response("Not Found\n", { status: 404 });
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  return new Response(req.method === "HEAD" ? null : render(), {
    headers: { "content-type": METRICS_CONTENT_TYPE },
  });
}

/**
 * The master's metrics endpoint, or null when `metrics_bind` is unset.
 * `snapshot` may return null (no workforce yet): it renders as empty. A
 * master started by USR2 (`upgrading`) waits for the port its predecessor
 * still serves metrics on, instead of failing the upgrade.
 *
 * @throws {Error} a one-line message when the address cannot be bound
 * @example
 * ```ts
 * import { openMetricsEndpoint } from "./metrics_server.ts";
 * const endpoint = openMetricsEndpoint("127.0.0.1:0", { snapshot: () => null, upgrading: false });
 * await endpoint?.close();
 * ```
 */
export function openMetricsEndpoint(
  bind: string | null,
  options: { snapshot: () => MetricsSnapshot | null; upgrading: boolean },
): MetricsEndpoint | null {
  if (bind === null) return null;
  const log = getLog("master");
  const empty: MetricsSnapshot = { workers: [], retired: emptyStats(), restarts: {} };
  return MetricsEndpoint.open({
    bind,
    snapshot: () => options.snapshot() ?? empty,
    waitForPort: options.upgrading,
    onListen: (url) => log.info(`Metrics at ${url}`),
  });
}

/** Options of {@linkcode MetricsEndpoint.open}. */
export interface MetricsEndpointOptions {
  /** `metrics_bind`: `HOST:PORT`. */
  bind: string;
  /** Called once per scrape. */
  snapshot: () => MetricsSnapshot;
  /**
   * When the port is in use at the first listen, keep trying every 250 ms
   * instead of throwing, and say nothing (a USR2 successor, whose predecessor
   * holds the port until it exits).
   * @default {false}
   */
  waitForPort?: boolean;
  /**
   * Told once when the endpoint starts listening (listening again, after its server stopped,
   * is logged by the endpoint).
   */
  onListen?: (url: string) => void;
}

/** The running metrics endpoint. */
export class MetricsEndpoint {
  #server: Deno.HttpServer | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #listened = false;
  // Under a steady flood the server stops, and listens again, every second or so; another
  // program may hold the port meanwhile: one line per episode, not one per retry.
  readonly #stops = new FailureEpisode();
  readonly #relistens = new FailureEpisode();
  readonly #options: MetricsEndpointOptions;
  readonly #address: BindAddress;

  /**
   * Starts serving `/metrics` on `options.bind`.
   *
   * @throws {Error} a one-line message when the address cannot be bound
   * (unless `waitForPort` is set and the port is merely in use)
   * @example
   * ```ts
   * import { MetricsEndpoint } from "./metrics_server.ts";
   * import { emptyStats } from "../metrics/prometheus.ts";
   * const endpoint = MetricsEndpoint.open({
   *   bind: "127.0.0.1:0",
   *   snapshot: () => ({ workers: [], retired: emptyStats(), restarts: {} }),
   * });
   * await endpoint.close();
   * ```
   */
  static open(options: MetricsEndpointOptions): MetricsEndpoint {
    const endpoint = new MetricsEndpoint(options);
    endpoint.#listen();
    return endpoint;
  }

  private constructor(options: MetricsEndpointOptions) {
    this.#options = options;
    this.#address = metricsAddress(options.bind);
  }

  /** Stops serving (and stops waiting for the port); idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    const server = this.#server;
    this.#server = null;
    await server?.shutdown();
  }

  #listen(): void {
    if (this.#closed) return;
    const { snapshot, waitForPort = false, onListen } = this.#options;
    const render = () => renderMetrics(snapshot());
    const url = `http://${this.#options.bind}/metrics`;
    const again = this.#listened;
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({
        ...this.#address,
        onListen: () => again ? undefined : onListen?.(url),
      }, (req) => metricsResponse(req, render));
    } catch (error) {
      // The predecessor's port, until it exits: only before the first listen. Later the port is
      // another program's, said like any failure to listen again.
      if (waitForPort && !this.#listened && error instanceof Deno.errors.AddrInUse) {
        this.#listenIn(RETRY_MS);
        return;
      }
      // In check's words (a probe's), so both say the same of a busy or foreign address.
      throw new Error(listenFailure({ transport: "tcp", ...this.#address }, error).problem);
    }
    this.#server = server;
    this.#listened = true;
    // Both, so that neither episode is left open.
    const said = [this.#stops.passed(), this.#relistens.passed()];
    if (said.includes(true)) getLog("master").info(`Metrics endpoint listening again at ${url}`);
    // Deno's server stops for good when an accept fails (no file descriptor left: a flood of
    // scrapers or a slowloris on this port): listen again a moment later, on the same address.
    server.finished.catch((error) => {
      if (this.#closed || this.#server !== server) return;
      this.#server = null;
      if (this.#stops.failed()) {
        getLog("master").error(
          `Metrics endpoint stopped accepting connections (${firstLine(error)}); ` +
            `listening again in ${RELISTEN_MS} ms`,
        );
      }
      this.#listenIn(RELISTEN_MS);
    });
  }

  /**
   * Listens after `ms`, and again every {@linkcode RELISTEN_MS} after each failure: a throw
   * from a timer would be a stray error, and leave the endpoint closed for good.
   */
  #listenIn(ms: number): void {
    this.#retry = setTimeout(() => {
      this.#retry = null;
      try {
        this.#listen();
      } catch (error) {
        if (this.#relistens.failed()) {
          getLog("master").error(`${errorMessage(error)}; trying again every ${RELISTEN_MS} ms`);
        }
        this.#listenIn(RELISTEN_MS);
      }
    }, ms);
  }
}

/** How long the metrics endpoint waits to listen again after its server stopped. */
const RELISTEN_MS = 1000;
