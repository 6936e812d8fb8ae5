/**
 * The workers the master owns and the effects it applies to them: spawn,
 * drain, stop, abort, kill. Spawn, drain and abort log a line with the
 * worker's id and pid, and each effect but `killAll` runs the matching
 * hooks once per worker. Deciding *when* to apply them is the arbiter's job
 * (with the pure policies); this file only carries them out.
 *
 * @module
 */
import type { ExitReason } from "../hooks.ts";
import { getLog } from "../logging/log.ts";
import type { Resolved } from "../settings/resolved.ts";
import type { HelloMessage, RequestStats, WorkerMessage } from "../ipc/protocol.ts";
import { addStats, emptyStats } from "../metrics/prometheus.ts";
import type { Clock, EventQueue, Link } from "./events.ts";
import { dataSettings, type HookCall, runMasterHook, workerConfigPath } from "./master_hooks.ts";
import type { ProcessDriver } from "./process_driver.ts";
import { drawLimits } from "./recycle_policy.ts";
import { WorkerHandle } from "./worker_handle.ts";
import { MAX_WORKERS } from "../settings/sections/workers.ts";

/**
 * Reasons that count in `status` and the metrics' `herd_worker_restarts_total`: every worker
 * replaced or stopped while serving goes on (a stop's `shutdown` is the end, not a count).
 */
const RESTART_REASONS: ReadonlySet<ExitReason> = new Set([
  "max_requests",
  "max_memory",
  "max_age",
  "timeout",
  "crash",
  "boot_failure",
  "signal",
  "server_stopped",
  "reload",
  "scale_down",
]);

// SIGABRT lets a blocked worker's runtime print where it was stuck; one that cannot even do
// that is killed after this.
const ABORT_KILL_MS = 2000;

/** What a {@linkcode Workforce} needs from outside. */
export interface WorkforceOptions {
  driver: ProcessDriver;
  clock: Clock;
  queue: EventQueue;
  resolved: Resolved;
  random?: () => number;
}

/** The master's workers and the configuration they run with, per generation. */
export class Workforce {
  readonly workers: Map<number, WorkerHandle> = new Map();
  /** Restarts so far, by reason. */
  readonly restarts: Partial<Record<ExitReason, number>> = {};
  /** Stats of workers that have exited, summed, so metrics never go backwards. */
  retired: RequestStats = emptyStats();
  /** Generations already warned that `max_memory` is below a fresh worker's RSS. */
  readonly maxMemoryWarned = new Set<number>();
  /** The configuration of each generation still running. */
  readonly configs: Map<number, Resolved> = new Map();
  /** The generation new workers get. */
  generation = 0;
  #serial = 0;
  #options: WorkforceOptions;
  #log = getLog("master");
  // Generations already told that keep-alive cannot count per connection (said once each).
  readonly #requestFreeNoted = new Set<number>();
  /**
   * Workers reaped before their hello was read, by token, with their slot. One killed as it
   * said hello (the others of a failed start, SIGKILLed together) left its hello in the control
   * socket, read only after its exit: the master's own worker, not an unknown one.
   */
  readonly #unheard = new Map<string, number>();

  /**
   * @example
   * ```ts
   * import { Workforce } from "./workforce.ts";
   * import { EventQueue, systemClock } from "./events.ts";
   * // new Workforce({ driver, clock: systemClock, queue: new EventQueue(systemClock), resolved });
   * ```
   */
  constructor(options: WorkforceOptions) {
    this.#options = options;
    this.configs.set(0, options.resolved);
  }

  /** The configuration new workers and hooks use. */
  get resolved(): Resolved {
    return this.configs.get(this.generation)!;
  }

  /** The configuration of `generation` (the current one once that generation is gone). */
  #configOf(generation: number): Resolved {
    return this.configs.get(generation) ?? this.resolved;
  }

  /** Workers not on their way out. */
  active(): WorkerHandle[] {
    return [...this.workers.values()].filter((w) => w.state !== "draining");
  }

  /** The worker on the other end of `link`, if it said hello. */
  byLink(link: unknown): WorkerHandle | undefined {
    for (const w of this.workers.values()) if (w.link === link) return w;
  }

  /** Runs a master hook with the current settings and workers. */
  hook(call: HookCall): Promise<void> {
    const workers = [...this.workers.values()].map((w) => w.info());
    return runMasterHook(
      { settings: this.resolved.settings, workers },
      call,
      this.#options.queue.stopSignal,
    );
  }

  /**
   * Forgets an exited worker, folding its last stats into {@linkcode retired}.
   * Returns it, or undefined when it was already forgotten.
   */
  remove(serial: number): WorkerHandle | undefined {
    const w = this.workers.get(serial);
    if (!w) return undefined;
    this.workers.delete(serial);
    if (w.configuredAt === null) {
      this.#unheard.set(w.token, w.id);
      // Such a hello is read within moments of the exit, if ever: the oldest are forgotten.
      if (this.#unheard.size > MAX_WORKERS) {
        this.#unheard.delete(this.#unheard.keys().next().value!);
      }
    }
    if (w.stats) {
      this.retired = addStats(this.retired, { ...w.stats, inFlight: 0, oldestMs: 0, rss: 0 });
    }
    return w;
  }

  /** Counts one restart for `reason` when it is a restart reason. */
  countRestart(reason: ExitReason): void {
    if (RESTART_REASONS.has(reason)) this.restarts[reason] = (this.restarts[reason] ?? 0) + 1;
  }

  /**
   * Accepts a worker's hello if its token matches, and sends it its configuration. Any other
   * hello is refused: quietly (at debug) when it is the late hello of a worker already reaped,
   * with a warning when no worker of this master had that token.
   */
  async welcome(link: Link, greeting: { hello: HelloMessage; port: number }): Promise<void> {
    const { hello, port } = greeting;
    const w = [...this.workers.values()].find((w) =>
      w.id === hello.id && w.token === hello.token && w.link === null
    );
    if (!w) {
      if (this.#unheard.get(hello.token) === hello.id) {
        this.#unheard.delete(hello.token);
        this.#log.debug(
          `Ignored the hello of worker ${hello.id} (pid: ${hello.pid}): it had exited already`,
        );
      } else this.#log.warning(`Rejected a worker (pid: ${hello.pid}) with an unknown token`);
      return link.close();
    }
    w.link = link;
    w.lastSeen = w.configuredAt = this.#options.clock.now();
    const r = this.#configOf(w.generation);
    const settings = dataSettings(r.settings);
    const generation = w.generation;
    await link.send({
      type: "config",
      settings,
      configPath: workerConfigPath(r),
      generation,
      port,
      maxRequests: w.limits.maxRequests,
      tls: r.tls ?? null,
    });
  }

  /** Notes what a worker reported: it is alive, ready, its stats, or why it cannot boot. */
  record(link: Link, message: Exclude<WorkerMessage, HelloMessage>): void {
    const w = this.byLink(link);
    if (!w) return;
    w.lastSeen = this.#options.clock.now();
    if (message.type === "heartbeat") {
      w.stats = message;
      w.firstRss ??= message.rss;
    }
    if (message.type === "boot_error") w.bootError = message.message;
    if (message.type === "ready" && w.state === "booting") {
      w.state = "ready";
      w.readyAt = w.lastSeen;
      this.#log.info(`${w.label} listening`);
      if (!message.readsRequest) this.#noteRequestFree(w.generation);
    }
  }

  #noteRequestFree(generation: number): void {
    const { keepalive, keepalive_requests } = this.#configOf(generation).settings;
    if (keepalive === 0 || keepalive_requests === 0 || this.#requestFreeNoted.has(generation)) {
      return;
    }
    this.#requestFreeNoted.add(generation);
    this.#log.info(
      "The app takes no request, so Deno builds none and connections cannot be told apart: " +
        "keepalive_requests and the Keep-Alive hint do not apply",
    );
  }

  /** Starts a worker in slot `id`; its exit is queued as an `exit` event. */
  async spawn(id: number): Promise<WorkerHandle> {
    const { driver, clock, queue } = this.#options;
    const generation = this.generation;
    const serial = ++this.#serial;
    await this.hook({ name: "pre_fork", args: [{ id, pid: 0, generation }] });
    const token = crypto.randomUUID();
    const process = driver.spawn({ id, token, resolved: this.resolved });
    const limits = drawLimits(this.resolved.settings, this.#options.random);
    const handle = new WorkerHandle({
      serial,
      id,
      generation,
      token,
      process,
      limits,
      now: clock.now(),
    });
    this.workers.set(serial, handle);
    process.status.then((status) => queue.push({ kind: "exit", serial, status }));
    this.#log.info(`Booting worker ${id} (pid: ${process.pid}, generation: ${generation})`);
    // Jittered limits differ per worker; debug shows what each one drew.
    this.#log.debug(
      `Worker ${id} (pid: ${process.pid}) limits: max_requests ${limits.maxRequests}, ` +
        `max_memory ${limits.maxRssBytes} bytes, max_age ${limits.maxAgeMs} ms`,
    );
    await this.hook({ name: "post_fork", args: [handle.info()] });
    return handle;
  }

  /**
   * Asks a worker to finish its in-flight requests and exit; SIGKILL after the grace. One that
   * is leaving already (a reload's drain, a timeout's abort) keeps its reason and deadline.
   */
  async drain(worker: WorkerHandle, reason: ExitReason): Promise<void> {
    if (worker.leaving !== null) return;
    const graceMs = this.resolved.settings.graceful_timeout * 1000;
    // Still booting: it serves nobody, and reads no frame until its app has loaded (which
    // may take until boot_timeout), so waiting graceful_timeout for it only delays the stop.
    // SIGTERM ends it at once while it has no handler yet; one that has just become ready
    // (its frame still unread here) has one, and drains.
    const booting = worker.state === "booting";
    this.#leave(worker, reason, graceMs);
    this.#log.info(
      `${worker.label} ${booting ? "stopped while booting" : "draining"} (reason: ${reason})`,
    );
    if (booting || !worker.link) worker.process.kill("SIGTERM");
    else await worker.link.send({ type: "drain", reason, graceMs });
    await this.hook({ name: "worker_exit", args: [worker.info(), reason] });
  }

  /**
   * Tells a worker to exit now; SIGKILL after `graceMs`. One that is leaving already keeps its
   * reason (and had its `worker_exit` call), and is only hurried.
   */
  async stop(worker: WorkerHandle, graceMs: number): Promise<void> {
    const booting = worker.state === "booting";
    const first = this.#leave(worker, "shutdown", graceMs);
    if (booting || !worker.link) worker.process.kill("SIGKILL");
    else await worker.link.send({ type: "stop" });
    if (first) await this.hook({ name: "worker_exit", args: [worker.info(), "shutdown"] });
  }

  /** Kills a blocked worker: SIGABRT now, SIGKILL 2 s later if it is still there. */
  async abort(worker: WorkerHandle): Promise<void> {
    this.#log.error(`WORKER TIMEOUT (pid: ${worker.pid})`);
    await this.hook({ name: "worker_abort", args: [worker.info()] });
    const first = this.#leave(worker, "timeout", ABORT_KILL_MS);
    worker.aborted = true;
    worker.process.kill("SIGABRT");
    // A draining worker had its worker_exit call when it was told to leave.
    if (first) await this.hook({ name: "worker_exit", args: [worker.info(), "timeout"] });
  }

  /** SIGKILLs every worker at once. */
  killAll(): void {
    for (const w of this.workers.values()) w.process.kill("SIGKILL");
  }

  /**
   * Marks `worker` leaving, and its deadline; true the first time, when its restart is counted
   * and its `worker_exit` hook is due (a later stop or abort only hurries it).
   */
  #leave(worker: WorkerHandle, reason: ExitReason, graceMs: number): boolean {
    const now = this.#options.clock.now();
    const first = worker.leaving === null;
    if (first) this.countRestart(reason);
    worker.state = "draining";
    worker.drainedAt ??= now;
    // The first reason stands: a stop or an abort during a reload's drain is not its cause.
    worker.leaving ??= reason;
    worker.killAt = Math.min(worker.killAt ?? Infinity, now + graceMs);
    return first;
  }
}
