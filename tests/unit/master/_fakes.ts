/**
 * Fakes for driving the arbiter without processes or real time: a clock
 * that jumps to the next deadline whenever the loop is idle, a process
 * driver whose workers exit when the test says so, and links that record
 * what the master sent.
 *
 * @module
 */
import type { ExitStatus } from "../../../src/hooks.ts";
import type { Frame } from "../../../src/ipc/protocol.ts";
import { Arbiter, type ArbiterOptions } from "../../../src/master/arbiter.ts";
import type { Clock, Link } from "../../../src/master/events.ts";
import type {
  ProcessDriver,
  SpawnRequest,
  WorkerProcess,
} from "../../../src/master/process_driver.ts";
import { defaultSettings, type Settings } from "../../../src/settings/table.ts";
import type { Resolved } from "../../../src/settings/resolved.ts";

/** A clock that, when the loop waits, advances straight to the deadline. */
export class FakeClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    // A macrotask, so events queued by microtasks (exits) win the race first.
    return new Promise((resolve) =>
      setTimeout(() => {
        if (signal.aborted) return;
        this.time += ms;
        resolve();
      }, 0)
    );
  }
}

/** A worker process the test ends with {@linkcode FakeProcess.exit}. */
export class FakeProcess implements WorkerProcess {
  readonly pid: number;
  readonly request: SpawnRequest;
  readonly signals: Deno.Signal[] = [];
  readonly status: Promise<ExitStatus>;
  #resolve!: (s: ExitStatus) => void;
  exited = false;

  constructor(pid: number, request: SpawnRequest) {
    this.pid = pid;
    this.request = request;
    this.status = new Promise((resolve) => this.#resolve = resolve);
  }

  kill(signal: Deno.Signal): void {
    this.signals.push(signal);
    if (signal === "SIGKILL") this.exit({ code: 137, signal: "SIGKILL" });
  }

  exit(status: ExitStatus = { code: 0, signal: null }): void {
    if (this.exited) return;
    this.exited = true;
    this.#resolve(status);
  }
}

/** Records every spawn. */
export class FakeDriver implements ProcessDriver {
  readonly spawned: FakeProcess[] = [];
  #pid = 1000;
  spawn(request: SpawnRequest): WorkerProcess {
    const process = new FakeProcess(++this.#pid, request);
    this.spawned.push(process);
    return process;
  }
  /** Spawned and not exited. */
  alive(): FakeProcess[] {
    return this.spawned.filter((p) => !p.exited);
  }
}

/** A control-socket peer that keeps what it was sent. */
export class FakeLink implements Link {
  readonly sent: Frame[] = [];
  closed = false;
  send(frame: Frame): Promise<boolean> {
    this.sent.push(frame);
    return Promise.resolve(!this.closed);
  }
  close(): void {
    this.closed = true;
  }
}

/** Default development settings with `overrides`. */
export function fakeResolved(overrides: Partial<Settings> = {}): Resolved {
  const settings = { ...defaultSettings("development"), ...overrides };
  return {
    settings,
    sources: {} as Resolved["sources"],
    configPath: null,
    envFilePath: null,
    dotenv: {},
    origins: new Map(),
    warnings: [],
  };
}

/** An arbiter on fakes, with helpers to script its workers. */
export class Rig {
  readonly clock = new FakeClock();
  readonly driver = new FakeDriver();
  readonly links = new Map<FakeProcess, FakeLink>();
  readonly arbiter: Arbiter;

  constructor(options: Partial<ArbiterOptions> & { settings?: Partial<Settings> } = {}) {
    this.arbiter = new Arbiter({
      resolved: fakeResolved(options.settings),
      driver: this.driver,
      workers: 2,
      port: 8080,
      addresses: [{ transport: "tcp", hostname: "127.0.0.1", port: 8080 }],
      clock: this.clock,
      random: () => 0,
      ...options,
    });
  }

  /** Runs loop turns until `done()` or the arbiter exits; fails after `limit` turns. */
  async until(done: () => boolean, limit = 200): Promise<void> {
    for (let i = 0; i < limit; i++) {
      if (done() || this.arbiter.exitCode !== null) return;
      await this.arbiter.step();
    }
    throw new Error(`Condition not reached in ${limit} turns`);
  }

  /** The worker connects and says hello (queued, not yet handled). */
  hello(process: FakeProcess): FakeLink {
    const link = new FakeLink();
    this.links.set(process, link);
    const { id, token } = process.request;
    this.arbiter.queue.push({
      kind: "hello",
      link,
      hello: { type: "hello", id, pid: process.pid, token },
    });
    return link;
  }

  /** The worker says hello and then ready. */
  async boot(process: FakeProcess): Promise<FakeLink> {
    const link = this.hello(process);
    this.arbiter.queue.push({
      kind: "message",
      link,
      message: { type: "ready", addresses: [], readsRequest: true },
    });
    await this.arbiter.step();
    await this.arbiter.step();
    return link;
  }

  /** The worker reports `served` requests. */
  async beat(process: FakeProcess, served: number): Promise<void> {
    this.queueBeat(process, served);
    await this.arbiter.step();
  }

  /** The worker's heartbeat arrives (queued, not yet handled). */
  queueBeat(process: FakeProcess, served: number, rss = 1): void {
    const link = this.links.get(process)!;
    this.arbiter.queue.push({
      kind: "message",
      link,
      message: {
        type: "heartbeat",
        served,
        inFlight: 0,
        oldestMs: 0,
        rss,
        byClass: [0, served, 0, 0, 0],
        durationBuckets: [],
        durationSum: 0,
        rejected: 0,
        timedOut: 0,
      },
    });
  }

  /** Delivers a signal and runs its turn. */
  async signal(
    signal: "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGTTIN" | "SIGTTOU" | "SIGUSR2",
  ): Promise<void> {
    this.arbiter.queue.push({ kind: "signal", signal });
    await this.arbiter.step();
  }

  /**
   * `process` reaches `max_requests` (the rig's settings must set it to `served`); its
   * replacement boots, and the master drains it. Returns the replacement.
   */
  async recycle(process: FakeProcess, served: number): Promise<FakeProcess> {
    const before = this.driver.spawned.length;
    await this.beat(process, served);
    await this.until(() => this.driver.spawned.length === before + 1);
    const fresh = this.driver.spawned[before];
    await this.boot(fresh);
    return fresh;
  }

  /** Starts the arbiter and boots its initial workers. */
  async start(): Promise<void> {
    await this.until(() => this.driver.spawned.length >= this.arbiter.target);
    for (const p of [...this.driver.spawned]) await this.boot(p);
  }
}
