/**
 * The master loop, shaped like Gunicorn's arbiter: wait for the next event
 * or deadline, handle it, then enforce deadlines and manage the workforce.
 * Signal listeners only queue events; each event kind and each signal has
 * one small handler. Processes and time come in through a
 * {@linkcode ProcessDriver} and a {@linkcode Clock}, so unit tests drive
 * the whole loop with fakes.
 *
 * @module
 */
import type { ExitStatus } from "../hooks.ts";
import { drainsAlready, ExitCode, HEARTBEAT_MS, type RetireMessage } from "../ipc/protocol.ts";
import { getLog } from "../logging/log.ts";
import type { Resolved } from "../settings/resolved.ts";
import type { ListenAddress } from "../settings/addresses.ts";
import { answerControl, statusResponse } from "./control_server.ts";
import { MAX_WORKERS } from "../settings/sections/workers.ts";
import {
  countCrash,
  DEFAULT_BACKOFF,
  isBootFailure,
  isStoppedFromOutside,
  replacementDelayMs,
  SPAWN_RETRY_MS,
  spawnShortage,
} from "./crash_backoff.ts";
import { FailureEpisode } from "./failure_episode.ts";
import type { BackoffPolicy } from "./crash_backoff.ts";
import {
  type Clock,
  EventQueue,
  type Link,
  type MasterEvent,
  type MasterSignal,
} from "./events.ts";
import { systemClock } from "./events.ts";
import type { ProcessDriver } from "./process_driver.ts";
import { enforceDeadlines, heldExitsDue, nextDeadline, requestsServed } from "./deadlines.ts";
import { abandonReload, beginReload, finishReload, type Reload } from "./rolling_reload.ts";
import { awaitsLastWords, type WorkerHandle } from "./worker_handle.ts";
import { drainSettlesAt, planWorkforce } from "./workforce_plan.ts";
import { Workforce } from "./workforce.ts";
import { listenUrls } from "./startup.ts";
import { errorMessage, osErrorReason } from "../error_text.ts";

/** Effects the arbiter asks of the master around it; each has a harmless default. */
export interface MasterEffects {
  /**
   * Re-resolves the configuration (HUP), with the worker count it implies; `refused` when the
   * master, or the system, is short of file descriptors and the reload needs some (config.ts to
   * import, which would crash the master; the cgroup quota for `workers` auto), with why (and,
   * where raising a limit is the remedy, which): nothing changed, and it is tried again.
   */
  reloadConfig(): Promise<
    | { ok: true; resolved: Resolved; workers: number }
    | { ok: false; problems: string[] }
    | { ok: false; refused: string }
  >;
  /** Reopens the master's own log files; resolves with what could not be reopened. */
  reopenLogs(): Promise<string[]>;
  /** Starts a new master from the same program (USR2). */
  upgrade(): Promise<void>;
  /**
   * The new master a USR2 started ended while this one still runs (it failed, or was stopped
   * before it took over): takes the pidfile and control socket back.
   */
  takeBack(status: Deno.CommandStatus): Promise<void>;
  /** Called once, when every worker is ready (an upgraded master retires its predecessor). */
  ready(): Promise<void>;
}

/** Everything an {@linkcode Arbiter} runs with. */
export interface ArbiterOptions {
  resolved: Resolved;
  driver: ProcessDriver;
  /** Worker count to start with. */
  workers: number;
  /** The port every worker binds (port 0 already resolved). */
  port: number;
  /** What the workers listen on: for the Ready line, and `status` (`check` asks it). */
  addresses: readonly ListenAddress[];
  clock?: Clock;
  /** The queue signal listeners and the control socket push onto; one is made if omitted. */
  queue?: EventQueue;
  effects?: Partial<MasterEffects>;
  random?: () => number;
  backoff?: BackoffPolicy;
}

type Handlers = { [K in MasterEvent["kind"]]: (e: Extract<MasterEvent, { kind: K }>) => unknown };

const NO_EFFECTS: MasterEffects = {
  reloadConfig: () => Promise.resolve({ ok: false, problems: ["Reload is not available"] }),
  reopenLogs: () => Promise.resolve([]),
  upgrade: () => Promise.resolve(),
  takeBack: () => Promise.resolve(),
  ready: () => Promise.resolve(),
};

// A quick stop's workers exit at once (their access log flushed); one that does not within
// this is killed.
const QUICK_STOP_KILL_MS = 1000;

/** SIGINTs closer together than this are one Ctrl-C (see `#stopQuickly`). */
const SAME_CTRL_C_MS = 500;
// A handler that held the master longer than a heartbeat period (HEARTBEAT_MS): judge workers
// a turn later.
const HELD_MS = HEARTBEAT_MS;
// After the master itself did not run for over HELD_MS (SIGSTOP, a frozen VM or container): no
// worker is judged for this long, time for each to be heard again.
const RESUMED_QUIET_MS = 1500;
// A reload refused because the master could not open files is tried again this often, until
// it can (the shortage is a flood's, and passes).
const RELOAD_RETRY_MS = 1000;

/** The master loop. */
export class Arbiter {
  readonly queue: EventQueue;
  readonly workforce: Workforce;
  /** Workers the master keeps serving. */
  target: number;
  #phase: "starting" | "running" | "stopping" | "halting" = "starting";
  #clock: Clock;
  #options: ArbiterOptions;
  #effects: MasterEffects;
  #log = getLog("master");
  #reload: Reload | null = null;
  #changedDuringReload = new Set<string>();
  #reloadAgain = false;
  /**
   * When a reload refused for want of file descriptors is tried again; null: none is postponed.
   * Cleared once a reload is read.
   */
  #reloadRetryAt: number | null = null;
  #crashes = 0;
  #refillAt = 0;
  /** When the first quick stop (INT, QUIT) came; null before one. */
  #quickAt: number | null = null;
  #stopCode: number = ExitCode.Ok;
  /** Until then no worker is judged: the master was paused, and has not heard them since. */
  #quietUntil = 0;
  #exitCode: number | null = null;
  #haltReason: string | null = null;
  /** Generations one of whose booting workers was stopped from outside. */
  readonly #stoppedWhileBooting = new Set<number>();
  readonly #startedAt = new Date();
  readonly #bootStart: number;
  /** Spawns failing for lack of resources, the master's or the system's (file descriptors). */
  readonly #spawnsShort: FailureEpisode;

  /**
   * @example
   * ```ts
   * import { Arbiter } from "./arbiter.ts";
   * // const code = await new Arbiter({ resolved, driver, workers: 2, port: 8080, addresses }).run();
   * ```
   */
  constructor(options: ArbiterOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#effects = { ...NO_EFFECTS, ...options.effects };
    this.queue = options.queue ?? new EventQueue(this.#clock);
    this.workforce = new Workforce({ ...options, clock: this.#clock, queue: this.queue });
    this.target = options.workers;
    this.#bootStart = this.#clock.now();
    this.#spawnsShort = new FailureEpisode({ now: () => this.#clock.now() });
  }

  /** Runs until the master should exit; resolves with its exit code. */
  async run(): Promise<number> {
    await this.#manage();
    while (this.#exitCode === null) await this.step();
    return this.#exitCode;
  }

  /** One turn: handle the next event (or reach the next deadline), enforce, manage. */
  async step(): Promise<void> {
    const now = this.#clock.now();
    const deadline = Math.max(
      nextDeadline(this.workforce, { now, refillAt: this.#refillAt }),
      this.#quietUntil,
    );
    const event = await this.queue.next(deadline);
    const handledAt = this.#clock.now();
    // Woken far past its deadline, the master was not running: the workers' silence was its own.
    if (handledAt - deadline > HELD_MS) {
      this.#quietUntil = handledAt + RESUMED_QUIET_MS;
      this.#log.warning(
        `The master did not run for ${
          Math.round((handledAt - now) / 1000)
        } s (paused?): judging workers again once they are heard`,
      );
    }
    if (event) await this.#handle(event);
    if (this.#exitCode !== null) return;
    // While a hook held the master, workers' heartbeats and ready frames queued up unread (or,
    // for a hook that blocked instead of awaiting, stayed in their sockets until the next
    // turn): workers are judged only once all of them are heard, or the master's delay is theirs.
    const held = this.#clock.now() - handledAt > HELD_MS;
    if (!held && this.queue.pending === 0 && this.#clock.now() >= this.#quietUntil) {
      const running = this.#phase === "running";
      await enforceDeadlines(this.workforce, { now: this.#clock.now(), running });
      for (const w of heldExitsDue(this.workforce, this.#clock.now())) {
        await this.#reap(w.serial, w.exited!.status);
      }
      if (this.#exitCode !== null) return;
    }
    await this.#manage();
  }

  // A failing effect (a spawn the OS refuses, a hook's file gone) is one event's failure: the
  // master, and every worker it serves with, stay up.
  async #handle(event: MasterEvent): Promise<void> {
    try {
      await (this.#handlers[event.kind] as (e: MasterEvent) => unknown)(event);
    } catch (error) {
      const what = event.kind === "signal" ? event.signal : event.kind;
      this.#log.error(
        `Failed to handle ${what}: ${error instanceof Error ? error.stack : errorMessage(error)}`,
      );
    }
  }

  /** True once the master stops (or halts a failed start): nothing new is started. */
  get stopping(): boolean {
    return this.#phase === "stopping" || this.#phase === "halting";
  }

  /** The exit code once decided, else null. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  #handlers: Handlers = {
    signal: (e) => this.#signals[e.signal](),
    hello: ({ link, hello }) => this.workforce.welcome(link, { hello, port: this.#options.port }),
    message: ({ link, message }) =>
      message.type === "retire"
        ? this.#retireAsked(link, message)
        : this.workforce.record(link, message),
    link_closed: ({ link }) => {
      const w = this.workforce.byLink(link);
      if (!w) return;
      w.link = null;
      w.linkClosed = true;
      if (w.exited) return this.#reap(w.serial, w.exited.status);
    },
    control: ({ link, request }) =>
      answerControl(link, {
        request,
        status: () =>
          statusResponse(this.workforce, {
            targetWorkers: this.target,
            startedAt: this.#startedAt,
            now: this.#clock.now(),
            addresses: this.#options.addresses,
          }),
        reopenLogs: async () => {
          const problems = await this.#effects.reopenLogs();
          for (const w of this.workforce.workers.values()) {
            await w.link?.send({ type: "reopen_logs" });
          }
          // The first line of a rotated error log says how it began.
          if (problems.length === 0) {
            this.#log.info("Log files reopened (reopen-logs)");
            return null;
          }
          // The operator's command is told too; the log keeps it for whoever looks later.
          this.#log.error(`reopen-logs failed: ${problems.join("; ")}`);
          return problems.join("; ");
        },
      }),
    exit: ({ serial, status }) => {
      const w = this.workforce.workers.get(serial);
      if (w && awaitsLastWords(w)) w.exited = { status, at: this.#clock.now() };
      else return this.#reap(serial, status);
    },
    files_changed: ({ paths }) => this.#filesChanged(paths),
    // In turn with the signals: a successor that took over sent its TERM first, and this master
    // is stopping by now.
    successor_exited: ({ status }) => this.stopping ? undefined : this.#effects.takeBack(status),
  };

  #signals: Record<MasterSignal, () => Promise<void>> = {
    SIGTERM: () => this.#stopGracefully(),
    SIGINT: () => this.#stopQuickly("SIGINT"),
    SIGQUIT: () => this.#stopQuickly("SIGQUIT"),
    SIGHUP: () => this.#reloadConfiguration(),
    SIGTTIN: () => this.#resize(1),
    SIGTTOU: () => this.#resize(-1),
    SIGUSR2: () => this.#upgrade(),
  };

  async #upgrade(): Promise<void> {
    // A new master started while this one stops would outlive the stop.
    if (this.#phase !== "running") {
      return this.#log.warning("Upgrade ignored: the master is starting or stopping");
    }
    await this.#effects.upgrade();
  }

  async #stopGracefully(): Promise<void> {
    if (this.#phase === "stopping" || this.#phase === "halting") return;
    this.#phase = "stopping";
    const grace = this.workforce.resolved.settings.graceful_timeout;
    this.#log.info(`Shutting down: draining workers (graceful_timeout: ${grace} s)`);
    for (const w of this.workforce.workers.values()) await this.workforce.drain(w, "shutdown");
    await this.#finishIfEmpty();
  }

  async #stopQuickly(signal: MasterSignal): Promise<void> {
    // One Ctrl-C can arrive twice: the terminal signals the whole process group, and a wrapper
    // in it (npx, npm) forwards its own copy. A second SIGINT counts only once this is past.
    const since = this.#quickAt === null ? null : this.#clock.now() - this.#quickAt;
    if (since !== null && signal === "SIGINT") {
      if (since < SAME_CTRL_C_MS) return;
      this.#log.warning("Second SIGINT: exiting now");
      this.workforce.killAll();
      this.#exitCode = ExitCode.Error;
      return;
    }
    this.#quickAt ??= this.#clock.now();
    if (this.#phase === "halting") return;
    this.#phase = "stopping";
    this.#log.info(`Shutting down quickly (${signal})`);
    for (const w of this.workforce.workers.values()) {
      await this.workforce.stop(w, QUICK_STOP_KILL_MS);
    }
    await this.#finishIfEmpty();
  }

  /** `retry`: a postponed reload tried again (quiet until it goes through), not a request. */
  async #reloadConfiguration(retry = false): Promise<void> {
    if (this.#phase === "running" && this.#reload) {
      // The configuration may have changed again since this reload read it: read it once more.
      this.#reloadAgain = true;
      return this.#log.info("Reload requested during a reload: it follows when this one ends");
    }
    if (this.#phase === "starting") {
      // A deploy script's HUP, or a file saved, while the first workers boot: not lost.
      this.#reloadAgain = true;
      return this.#log.info("Reload requested while starting: it follows once workers are ready");
    }
    if (this.#phase !== "running") {
      return this.#log.warning("Reload ignored: the master is stopping");
    }
    // A retry of a postponed reload is quiet until it goes through; a request meanwhile is said.
    const postponed = this.#reloadRetryAt !== null;
    if (!postponed) this.#log.info("Reloading the configuration");
    else if (!retry) this.#log.info("Reload requested: one is postponed already; trying now");
    const next = await this.#effects.reloadConfig();
    if (!next.ok && "refused" in next) {
      // Not dropped: an auto-reload's save, or a deploy's HUP, would otherwise leave the workers
      // on the old files until the next one.
      this.#reloadRetryAt = this.#clock.now() + RELOAD_RETRY_MS;
      if (postponed) return;
      return this.#log.error(
        `Reload postponed: ${next.refused}; the running configuration and workers are kept ` +
          `meanwhile; trying again every ${RELOAD_RETRY_MS} ms`,
      );
    }
    this.#reloadRetryAt = null;
    if (postponed) {
      this.#log.info("Reloading the configuration (postponed for lack of file descriptors)");
    }
    if (!next.ok) {
      this.#log.error("Reload failed: the configuration has problems; nothing changed");
      for (const problem of next.problems) this.#log.error(problem);
      return;
    }
    const previous = this.target;
    // A reload is the fix for a crashing app: its workers start now, not after the backoff.
    this.#crashes = 0;
    this.#refillAt = 0;
    this.#reload = beginReload(this.workforce, {
      resolved: next.resolved,
      previousTarget: previous,
    });
    await this.workforce.hook({ name: "on_reload", args: [] });
    this.target = next.workers;
    if (previous !== this.target) {
      // The configured count wins over TTIN/TTOU, as in Gunicorn: say so.
      this.#log.info(`Number of workers: ${this.target} (was ${previous}), from the configuration`);
      await this.workforce.hook({ name: "nworkers_changed", args: [this.target, previous] });
    }
  }

  // Auto-reload: the same rolling reload as HUP. Changes made while one runs are kept for
  // the next, so the workers always end up running the files as last saved.
  async #filesChanged(paths: string[]): Promise<void> {
    if (this.#reload) {
      for (const path of paths) this.#changedDuringReload.add(path);
      return;
    }
    this.#log.info(`Changed: ${describeChanges(paths)}`);
    await this.#reloadConfiguration();
  }

  // Once a reload ends (complete or abandoned), replays the requests and changes it did not
  // include.
  #replayChanges(): void {
    if (this.#reload) return;
    if (this.#reloadAgain) {
      this.#reloadAgain = false;
      this.#changedDuringReload.clear();
      this.queue.push({ kind: "signal", signal: "SIGHUP" });
      return;
    }
    if (this.#changedDuringReload.size === 0) return;
    const paths = [...this.#changedDuringReload];
    this.#changedDuringReload.clear();
    this.queue.push({ kind: "files_changed", paths });
  }

  async #resize(delta: number): Promise<void> {
    const previous = this.target;
    if (this.#phase !== "running") {
      return this.#log.warning(
        `${delta > 0 ? "SIGTTIN" : "SIGTTOU"} ignored: the master is starting or stopping`,
      );
    }
    if (previous + delta < 1) return this.#log.warning("Not removing the last worker");
    if (previous + delta > MAX_WORKERS) {
      return this.#log.warning(`Not adding a worker: ${MAX_WORKERS} is the most (workers)`);
    }
    this.target = previous + delta;
    // Kept if the reload is abandoned: the count it goes back to includes this change.
    if (this.#reload) {
      this.#reload.previousTarget = Math.max(1, this.#reload.previousTarget + delta);
    }
    this.#log.info(`Number of workers: ${this.target} (was ${previous})`);
    await this.workforce.hook({ name: "nworkers_changed", args: [this.target, previous] });
  }

  async #reap(serial: number, status: ExitStatus): Promise<void> {
    const w = this.workforce.remove(serial);
    if (!w) return;
    w.link?.close();
    const how = status.signal
      ? `was killed by ${status.signal}`
      : `exited with code ${status.code}`;
    const ready = w.readyAt !== null;
    const outside = !ready && isStoppedFromOutside(status);
    if (w.leaving !== null) {
      // Hung while draining for another reason: counted under that one, but said here.
      const hung = w.aborted && w.leaving !== "timeout" ? "; it hung and was aborted" : "";
      // What it served in all (its last heartbeat): a worker recycled under load serves on
      // while it waits its turn to be replaced.
      const served = w.stats ? `, ${requestsServed(w.stats.served)}` : "";
      this.#log.info(`${w.label} ${how} (reason: ${w.leaving}${hung})${served}`);
    } else if (isBootFailure(status, { ready, stoppedBefore: outside && this.#stoppedBefore(w) })) {
      await this.#bootFailed(w, how);
    } else if (outside) {
      // Someone stopped it by pid (or the process group) while it booted: not the app's fault.
      this.workforce.countRestart("signal");
      this.#log.warning(`${w.label} ${how} while booting, not by the master; replacing it`);
    } else if (status.code === 0 && status.signal === null) {
      // A clean exit nobody asked for: stopped from outside (a TERM by pid), not a crash.
      this.#log.warning(`${w.label} ${how} without being asked to; replacing it`);
    } else this.#crashed(w, how + (status.signal === "SIGKILL" ? " (perhaps out of memory?)" : ""));
    await this.workforce.hook({ name: "child_exit", args: [w.info(), status] });
    await this.#finishIfEmpty();
  }

  // Whether a worker of `w`'s generation was stopped from outside while booting before, with
  // none of that generation booted; notes this stop for the next.
  #stoppedBefore(w: WorkerHandle): boolean {
    const booted = [...this.workforce.workers.values()]
      .some((other) => other.generation === w.generation && other.readyAt !== null);
    if (booted) return false;
    const before = this.#stoppedWhileBooting.has(w.generation);
    this.#stoppedWhileBooting.add(w.generation);
    return before;
  }

  async #bootFailed(w: WorkerHandle, how: string): Promise<void> {
    const why = w.bootError ?? how;
    if (this.#phase === "starting") {
      return await this.#halt(`${w.label} failed to boot: ${why}`);
    }
    if (this.#reload && w.generation === this.#reload.to) {
      this.#log.error(`Reload abandoned: ${w.label} failed to boot: ${why}`);
      this.workforce.countRestart("boot_failure");
      const { booting, rolledBack } = abandonReload(this.workforce, this.#reload);
      this.#log.error(
        rolledBack === 0
          ? "The previous workers keep serving"
          : `The previous workers keep serving; ${rolledBack} already on generation ` +
            `${this.#reload.to} go back to generation ${this.#reload.from}, one at a time`,
      );
      // Booting for the abandoned reload: stopped with it, not failed themselves.
      for (const b of booting) await this.workforce.drain(b, "reload");
      this.target = this.#reload.previousTarget;
      this.#reload = null;
      return this.#replayChanges();
    }
    this.#crashed(w, `failed to boot: ${why}`, "boot_failure");
  }

  #crashed(w: WorkerHandle, how: string, reason: "crash" | "boot_failure" = "crash"): void {
    this.workforce.countRestart(reason);
    this.#log.error(`${w.label} ${how}`);
    this.#backOff(w);
  }

  /**
   * Counts a crash of `w` (null: a worker that could not even be spawned) and holds the next
   * start back by the crash backoff.
   */
  #backOff(w: WorkerHandle | null): void {
    const now = this.#clock.now();
    const policy = this.#options.backoff ?? DEFAULT_BACKOFF;
    const upMs = w?.readyAt == null ? null : now - w.readyAt;
    this.#crashes = countCrash(this.#crashes, { upMs: upMs ?? 0, policy });
    // A worker asking to be replaced serves on: it counts among those serving.
    const othersServing = this.workforce.active().some((o) => o.state === "ready");
    const delay = replacementDelayMs(this.#crashes, { upMs, othersServing, policy });
    this.#refillAt = now + delay;
    if (delay > 0) {
      const none = othersServing ? "" : " (no worker serves)";
      this.#log.warning(`${this.#crashes} crashes in a row: next start in ${delay} ms${none}`);
    } else if (this.#crashes > 1) {
      this.#log.warning(
        `${this.#crashes} crashes in a row, and no worker serves: starting one now`,
      );
    }
  }

  /**
   * A serving worker asks to be replaced. One that drains already (a SIGTERM from elsewhere) is
   * let go at once, so its replacement starts now, not once it has finished; one that serves on
   * (an uncaught error, a sync worker's request past timeout) is replaced first and drained
   * then, as a recycled worker is.
   */
  async #retireAsked(link: Link, message: RetireMessage): Promise<void> {
    const w = this.workforce.byLink(link);
    if (!w || w.state !== "ready" || w.leaving !== null) return;
    if (this.#phase !== "starting" && this.#phase !== "running") return;
    w.lastSeen = this.#clock.now();
    const { reason } = message;
    if (drainsAlready(reason)) {
      // Marked to retire already (a reload, a recycle): it is gone now, not once replaced.
      this.#log.warning(`${w.label} is draining on its own (${message.why}): replacing it now`);
      await this.workforce.drain(w, w.retire ?? reason);
    } else if (w.retire !== null) {
      // Its replacement is on its way already.
      this.#log.warning(`${w.label}: ${message.why}; it is being replaced already`);
    } else {
      this.#log.warning(
        `${w.label} asks to be replaced (${message.why}): starting its replacement`,
      );
      w.retire = reason;
      // An app that fails on every request would otherwise churn workers as fast as they boot:
      // the crash backoff holds the replacement back, while this worker serves on. (A sync
      // worker's timeout is paced by the timeout itself.)
      if (reason === "crash") this.#backOff(w);
    }
  }

  /** Why the start failed (the master's exit code is then 3), or null. */
  get haltReason(): string | null {
    return this.#haltReason;
  }

  async #halt(why: string): Promise<void> {
    this.#log.error(why);
    this.#haltReason = why;
    this.#phase = "halting";
    this.#stopCode = ExitCode.WorkerBootError;
    // The others booted, or would have: they are stopped, not failed.
    if (this.workforce.workers.size > 0) {
      this.#log.info("Shutting down: the start failed; stopping the other workers");
    }
    for (const w of this.workforce.workers.values()) w.leaving ??= "shutdown";
    this.workforce.killAll();
    // With no worker left to reap (none could be started), nothing else would end the master.
    await this.#finishIfEmpty();
  }

  async #finishIfEmpty(): Promise<void> {
    if (this.#phase !== "stopping" && this.#phase !== "halting") return;
    if (this.workforce.workers.size > 0 || this.#exitCode !== null) return;
    await this.workforce.hook({ name: "on_exit", args: [] });
    this.#exitCode = this.#stopCode;
  }

  async #manage(): Promise<void> {
    if (this.#phase !== "starting" && this.#phase !== "running") return;
    const now = this.#clock.now();
    if (this.#reloadRetryAt !== null && now >= this.#reloadRetryAt && this.#phase === "running") {
      await this.#reloadConfiguration(true);
      if (this.#phase !== "running") return;
    }
    const plan = planWorkforce({
      target: this.target,
      workers: [...this.workforce.workers.values()],
      mayRefill: now >= this.#refillAt,
      maxSurge: 1,
      settling: [...this.workforce.workers.values()].some((w) => drainSettlesAt(w) > now),
    });
    for (const action of plan) {
      // A failed start halts the master: the rest of the plan no longer applies.
      if (this.#phase !== "starting" && this.#phase !== "running") break;
      if (action.kind === "spawn") await this.#spawn(action.id);
      else await this.workforce.drain(this.workforce.workers.get(action.serial)!, action.reason);
    }
    // The worker there were no descriptors (or processes) for is no longer wanted (TTOU, a
    // reload's smaller count): no spawn will pass to end the episode. Left open, the next
    // shortage, maybe days later, would go unsaid, and the next spawn, a crash's replacement,
    // would say the master can start workers again.
    if (this.#spawnsShort.failing && !this.#wantsWorker()) this.#spawnsShort.abandoned();
    if (this.#reload && finishReload(this.workforce, this.#reload)) {
      this.#log.info(`Reload complete: every worker runs generation ${this.#reload.to}`);
      this.#reload = null;
      this.#replayChanges();
    }
    const ready = this.workforce.active().filter((w) => w.state === "ready" && w.id <= this.target);
    if (this.#phase === "starting" && ready.length >= this.target) await this.#becomeReady();
  }

  async #spawn(id: number): Promise<void> {
    try {
      await this.workforce.spawn(id);
    } catch (error) {
      const message = errorMessage(error);
      if (this.#phase === "starting") {
        return await this.#halt(`Cannot start worker ${id}: ${message}`);
      }
      const shortage = spawnShortage(error);
      if (shortage !== null) return this.#spawnLater(id, error, shortage);
      this.#log.error(`Cannot start worker ${id}: ${message}`);
      this.workforce.countRestart("boot_failure");
      this.#backOff(null);
      return;
    }
    if (this.#spawnsShort.passed()) {
      this.#log.info("The master can start workers again");
    }
  }

  /** Whether a slot waits for a worker to be spawned, backoff and drains aside. */
  #wantsWorker(): boolean {
    return planWorkforce({
      target: this.target,
      workers: [...this.workforce.workers.values()],
      mayRefill: true,
      maxSurge: 1,
    }).some((action) => action.kind === "spawn");
  }

  // The master, not the worker, lacked what a spawn needs: tried again soon, neither counted
  // nor backed off (a grown backoff would outlast the flood that took the descriptors).
  #spawnLater(id: number, error: unknown, shortage: string): void {
    this.#refillAt = Math.max(this.#refillAt, this.#clock.now() + SPAWN_RETRY_MS);
    if (!this.#spawnsShort.failed()) return;
    this.#log.error(
      `Cannot start worker ${id} (${osErrorReason(error)}): ${shortage}; ` +
        `trying again every ${SPAWN_RETRY_MS} ms, not counted as a crash`,
    );
  }

  async #becomeReady(): Promise<void> {
    this.#phase = "running";
    const ms = Math.round(this.#clock.now() - this.#bootStart);
    this.#log.info(
      `Ready: ${this.target} worker${this.target === 1 ? "" : "s"} listening on ${
        listenUrls(this.#options.resolved.settings, this.#options.addresses).join(", ")
      } (boot took ${ms} ms)`,
    );
    await this.workforce.hook({ name: "when_ready", args: [] });
    await this.#effects.ready();
    this.#replayChanges();
  }
}

function describeChanges(paths: readonly string[]): string {
  const shown = paths.slice(0, 3).map((p) => `"${p}"`).join(", ");
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown || "watched files";
}
