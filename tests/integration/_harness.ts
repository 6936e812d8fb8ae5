/**
 * Runs real Herd masters for integration tests: `deno run -A main.ts serve`
 * on a free port, waiting for log lines rather than sleeping, and cleaning
 * up every process it started, even when an assertion fails (`await using`).
 *
 * @example
 * ```ts
 * import { startHerd } from "./_harness.ts";
 * await using herd = await startHerd({ args: ["tests/fixtures/apps/hello.ts", "-w", "2"] });
 * console.log(await (await fetch(herd.url)).text());
 * ```
 *
 * @module
 */
import { tcpMigrateReq } from "../../src/platform/tcp_migrate_req.ts";
import { assert, assertEquals } from "../assert.ts";
import { freePort as freePortOn } from "../../src/master/listener_check.ts";
import { controlSocketPath } from "../../src/ipc/control_path.ts";

export const MAIN: string = new URL("../../main.ts", import.meta.url).pathname;

/** A fixture app's absolute path. */
export function fixtureApp(name: string): string {
  return new URL(`../fixtures/apps/${name}`, import.meta.url).pathname;
}

/** How to start Herd. */
export interface StartOptions {
  /** Arguments after `serve` (`--port` and `--host` are added). */
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Source of a config.ts written to a temp dir and passed with `--config`. */
  config?: string;
  /** Wait for the Ready line (default true). */
  waitReady?: boolean;
  /** Port to use instead of a fresh free one. */
  port?: number;
  /** The deno binary to run the master with (default: this one). */
  deno?: string;
}

/** A running Herd master. */
export interface Herd extends AsyncDisposable {
  port: number;
  url: string;
  masterPid: number;
  /** Every stdout and stderr line so far. */
  lines: string[];
  /** Live worker pids (children of the master running `__worker`). */
  workerPids(): number[];
  /** The master's and its workers' pids. */
  pids(): number[];
  kill(signal: Deno.Signal): void;
  /** Resolves with the first line (from the start, or after `from`) matching `re`. */
  waitForLog(re: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<string>;
  waitForExit(timeoutMs?: number): Promise<Deno.CommandStatus>;
  /** SIGTERM, then SIGKILL for anything left (master and every worker it ever had). */
  stop(): Promise<void>;
}

/**
 * Runs `main.ts` once with `args` (no server expected to stay up) and
 * returns its exit code and trimmed stderr.
 *
 * @example
 * ```ts
 * import { runHerd } from "./_harness.ts";
 * const { code, stderr } = await runHerd(["check", "--workers", "abc"]);
 * ```
 */
export async function runHerd(args: string[]): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr).trim() };
}

/**
 * A port free on 127.0.0.1 right now.
 *
 * @example
 * ```ts
 * import { freePort } from "./_harness.ts";
 * freePort();
 * ```
 */
export function freePort(): number {
  return freePortOn("127.0.0.1");
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/**
 * Resolves once `probe()` is true, polling every 50 ms; throws after
 * `timeoutMs`, naming `what` was awaited.
 *
 * @example
 * ```ts
 * import { isAlive, until } from "./_harness.ts";
 * await until(() => !isAlive(1234), 2000, "worker 1234 to exit");
 * ```
 */
export async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Children of `parent` whose command line contains `marker`. */
export function childPids(parent: number, marker = "__worker"): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== parent || fields[0] === "Z") continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(marker)) found.push(Number(entry.name));
    } catch {
      // The process ended while we looked.
    }
  }
  return found.sort((a, b) => a - b);
}

/**
 * Starts `main.ts serve` and, unless told otherwise, waits for its Ready line.
 *
 * @example
 * ```ts
 * import { startHerd } from "./_harness.ts";
 * await using herd = await startHerd({ args: ["-w", "1"] });
 * ```
 */
export async function startHerd(options: StartOptions = {}): Promise<Herd> {
  const port = options.port ?? freePort();
  const args = ["run", "-A", MAIN, "serve", "--host", "127.0.0.1", "--port", String(port)];
  if (options.config !== undefined) {
    const dir = await Deno.makeTempDir({ prefix: "herd-test-" });
    await Deno.writeTextFile(`${dir}/config.ts`, options.config);
    args.push("--config", `${dir}/config.ts`);
  }
  args.push(...options.args ?? []);
  const child = new Deno.Command(options.deno ?? Deno.execPath(), {
    args,
    // A fresh directory, so the project's own config.ts and .env stay out of the test.
    cwd: options.cwd ?? await Deno.makeTempDir({ prefix: "herd-cwd-" }),
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const everWorkers = new Set<number>();
  const waiters = new Set<() => void>();
  const onLine = (line: string) => {
    lines.push(line);
    const booted = /Booting worker \d+ \(pid: (\d+)/.exec(line);
    if (booted) everWorkers.add(Number(booted[1]));
    for (const wake of waiters) wake();
  };
  const pumps = [pump(child.stdout, onLine), pump(child.stderr, onLine)];
  let exited: Deno.CommandStatus | null = null;
  const status = child.status.then(async (s) => {
    await Promise.all(pumps);
    exited = s;
    for (const wake of waiters) wake();
    return s;
  });

  const waitFor = <T>(probe: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const hit = probe();
        if (hit !== undefined) return finish(() => resolve(hit));
        if (exited) {
          finish(() => reject(new Error(`Herd exited before ${what}:\n${lines.join("\n")}`)));
        }
      };
      const timer = setTimeout(() => {
        finish(() => reject(new Error(`Timed out waiting for ${what}:\n${lines.join("\n")}`)));
      }, timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  const herd: Herd = {
    port,
    url: `http://127.0.0.1:${port}`,
    masterPid: child.pid,
    lines,
    workerPids: () => childPids(child.pid),
    pids: () => [child.pid, ...childPids(child.pid)],
    kill: (signal) => {
      if (!exited) Deno.kill(child.pid, signal);
    },
    waitForLog: (re, { timeoutMs = 15_000, from = 0 } = {}) =>
      waitFor(() => lines.slice(from).find((l) => re.test(l)), timeoutMs, `a line matching ${re}`),
    waitForExit: async (timeoutMs = 15_000) => {
      await waitFor(() => exited ?? undefined, timeoutMs, "exit");
      return await status;
    },
    stop: async () => {
      if (!exited) {
        herd.kill("SIGTERM");
        const timer = setTimeout(() => herd.kill("SIGKILL"), 8000);
        await status;
        clearTimeout(timer);
      }
      for (const pid of everWorkers) {
        if (!isAlive(pid)) continue;
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
    },
    [Symbol.asyncDispose]: () => herd.stop(),
  };
  if (options.waitReady ?? true) {
    try {
      await herd.waitForLog(/Ready: \d+ workers? listening/, { timeoutMs: 20_000 });
    } catch (error) {
      await herd.stop();
      throw error;
    }
  }
  return herd;
}

async function pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  }
  if (pending) onLine(pending);
}

/** What a {@linkcode loadLoop} saw. */
export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  /** Worker pids from the `x-pid` response header. */
  pids: Set<number>;
  /**
   * Requests sent again because a pooled keep-alive connection was closed under them
   * before any response, as HTTP clients do for idempotent requests (RFC 9112 §9.3.1).
   */
  retried: number;
}

// The client's words when the server closed an idle pooled connection as a request went out.
const CLOSED_BEFORE_RESPONSE = "connection closed before message completed";

// What the client says when the kernel reset its connection.
const RESET = "Connection reset by peer";

// Whether the kernel moves connections queued on a closing listener (see tcp_migrate_req.ts).
const MIGRATES_QUEUED = (await tcpMigrateReq()) === "1";

/**
 * Resets tolerated per request sent when the kernel does not migrate queued connections: about
 * three times the rate measured here (1 in 11–16k requests, in ~1 of 85 runs of a recycling
 * test), so a drain that breaks connections still fails.
 */
const RESETS_PER_REQUEST = 1 / 5000;

/**
 * Asserts a {@linkcode loadLoop} lost nothing: no failed request, and retries
 * (a pooled connection closed under a request) stay rare, so the retry
 * cannot hide a drain that breaks connections. The only loss allowed is the
 * kernel's, and only where it is configured to cause it: a rare reset of a
 * connection queued on a closing listener while `tcp_migrate_req` is 0.
 *
 * @example
 * ```ts
 * import { assertNothingLost } from "./_harness.ts";
 * assertNothingLost({ ok: 100, failed: 0, errors: [], pids: new Set(), retried: 0 });
 * ```
 */
export function assertNothingLost(result: LoadResult, what = "requests"): void {
  const sent = result.ok + result.failed;
  const resets = result.errors.filter((error) => error.includes(RESET)).length;
  const tolerated = MIGRATES_QUEUED ? 0 : Math.max(1, Math.floor(sent * RESETS_PER_REQUEST));
  assertEquals(
    result.failed - Math.min(resets, tolerated),
    0,
    `${result.failed} of ${sent} ${what} failed (kernel resets tolerated: ${tolerated}): ` +
      result.errors.slice(0, 3).join("\n"),
  );
  assert(result.retried * 100 <= sent, `${result.retried} of ${sent} ${what} needed a retry`);
}

/**
 * Keeps `concurrency` sequential fetch loops running against `url` until
 * `stop` aborts, and counts answers. A bounded, test-only load.
 *
 * @example
 * ```ts
 * import { loadLoop } from "./_harness.ts";
 * const stop = new AbortController();
 * const load = loadLoop("http://127.0.0.1:8080/", { concurrency: 4, signal: stop.signal });
 * stop.abort();
 * console.log(await load);
 * ```
 */
export async function loadLoop(
  url: string,
  options: { concurrency: number; signal: AbortSignal; maxRequests?: number; keepAlive?: boolean },
): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: 0, errors: [], pids: new Set(), retried: 0 };
  const max = options.maxRequests ?? 100_000;
  // Without keep-alive every request is a new connection, which spreads them over the workers.
  const client = Deno.createHttpClient(options.keepAlive ? {} : { poolMaxIdlePerHost: 0 });
  const loop = async () => {
    let retrying = false;
    while (!options.signal.aborted && result.ok + result.failed < max) {
      try {
        const response = await fetch(url, { client });
        retrying = false;
        await response.body?.cancel();
        const pid = Number(response.headers.get("x-pid"));
        if (pid) result.pids.add(pid);
        if (response.ok) result.ok++;
        else {
          result.failed++;
          result.errors.push(`status ${response.status}`);
        }
      } catch (error) {
        const text = error instanceof Error
          ? `${error.message}: ${error.cause ?? ""}`
          : String(error);
        // A worker closing an idle keep-alive connection races a client that picks it from its
        // pool: HTTP/1.1 has no way around it, and clients retry an idempotent request once.
        if (options.keepAlive && !retrying && text.includes(CLOSED_BEFORE_RESPONSE)) {
          retrying = true;
          result.retried++;
          continue;
        }
        retrying = false;
        result.failed++;
        result.errors.push(text);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  client.close();
  return result;
}

export { HAVE_PRLIMIT } from "../file_limit.ts";

/**
 * Lowers the open-file limit of the running process `pid` to `n` (soft and hard), as a flood of
 * connections against a low `ulimit -n` would leave it. Needs {@linkcode HAVE_PRLIMIT}.
 *
 * @example
 * ```ts
 * import { limitOpenFiles } from "./_harness.ts";
 * await limitOpenFiles(12345, 64);
 * ```
 */
export async function limitOpenFiles(pid: number, n: number): Promise<void> {
  const out = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${n}:${n}`],
  })
    .output();
  if (!out.success) throw new Error(`prlimit failed: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * Leaves the master of `herd` (started without `--control-socket`) out of file descriptors:
 * its limit lowered to 64, then connections to its control socket held open until it has
 * logged a failed accept, more waiting in its backlog to take each descriptor it frees. Disposing
 * of the result closes them and waits until the master has closed its side. Needs
 * {@linkcode HAVE_PRLIMIT}.
 *
 * @example
 * ```ts
 * import { exhaustMasterFiles, startHerd } from "./_harness.ts";
 * await using herd = await startHerd({ args: ["tests/fixtures/apps/hello.ts", "-w", "1"] });
 * {
 *   await using _full = await exhaustMasterFiles(herd);
 *   herd.kill("SIGHUP");
 * }
 * ```
 */
export async function exhaustMasterFiles(herd: Herd): Promise<AsyncDisposable> {
  const path = controlSocketPath({
    control_socket: null,
    bind: [],
    host: "127.0.0.1",
    port: herd.port,
  });
  const openFiles = () => [...Deno.readDirSync(`/proc/${herd.masterPid}/fd`)].length;
  const before = openFiles();
  await limitOpenFiles(herd.masterPid, 64);
  const from = herd.lines.length;
  const held: Deno.UnixConn[] = [];
  const release = () => held.splice(0).forEach((conn) => conn.close());
  try {
    for (let i = 0; i < 100; i++) held.push(await Deno.connect({ transport: "unix", path }));
    await herd.waitForLog(/Control socket: cannot accept a connection \(Too many open files\)/, {
      from,
    });
  } catch (error) {
    release();
    throw error;
  }
  return {
    [Symbol.asyncDispose]: async () => {
      release();
      // Its side of each connection, and of those still in its backlog, once it has read EOF.
      await until(
        () => !isAlive(herd.masterPid) || openFiles() <= before + 4,
        10_000,
        "the master to close the connections",
      );
    },
  };
}

/**
 * The restarts a Herd counted, by reason, as its metrics endpoint at `bind` (`--metrics-bind`)
 * reports them.
 *
 * @example
 * ```ts
 * import { restartCounts } from "./_harness.ts";
 * (await restartCounts("127.0.0.1:9091")).crash; // 1
 * ```
 */
export async function restartCounts(bind: string): Promise<Record<string, number>> {
  const scrape = await (await fetch(`http://${bind}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (
    const [, reason, n] of scrape.matchAll(/^herd_worker_restarts_total\{reason="(\w+)"\} (\d+)$/gm)
  ) {
    counts[reason] = Number(n);
  }
  return counts;
}
