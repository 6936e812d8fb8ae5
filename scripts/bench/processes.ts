/**
 * Starting and measuring the servers a benchmark compares: spawn, wait
 * until it answers, read RSS and CPU time from /proc, stop.
 *
 * @module
 */
import { freePort as freePortOn } from "../../src/master/listener_check.ts";

/** A running server under test. */
export interface Running {
  /** Processes started directly (Herd's master, or each bare process). */
  children: Deno.ChildProcess[];
  /** Milliseconds from spawn until the server answered 200. */
  readyMs: number;
  /** Milliseconds from spawn until `allReadyLine` was printed; null without one. */
  allReadyMs: number | null;
  /** Everything the processes printed to stderr so far (for failures). */
  stderr: () => string;
}

/**
 * A free TCP port on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { freePort } from "./processes.ts";
 * const port = freePort();
 * ```
 */
export function freePort(): number {
  return freePortOn("127.0.0.1");
}

/**
 * Spawns each command and waits until `url` answers 200 (at most 30 s).
 *
 * @example
 * ```ts
 * import { startServer } from "./processes.ts";
 * const s = await startServer([["deno", ["run", "-A", "x.ts"]]], { url: "http://127.0.0.1:8080/" });
 * ```
 */
export async function startServer(
  commands: [string, string[], Record<string, string>?][],
  options: {
    url: string;
    /** Not ready before this line is printed to stderr. */
    readyLine?: RegExp;
    /**
     * The line that says every worker listens (Herd's `Ready:`): its time is
     * `allReadyMs`, and it is waited for after the first 200.
     */
    allReadyLine?: RegExp;
  },
): Promise<Running> {
  const started = performance.now();
  let err = "";
  let allReadyMs: number | null = null;
  const noteAllReady = () => {
    if (allReadyMs === null && options.allReadyLine?.test(err)) {
      allReadyMs = performance.now() - started;
    }
  };
  const children = commands.map(([cmd, args, env]) => {
    const child = new Deno.Command(cmd, {
      args,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    child.stderr.pipeTo(
      new WritableStream({
        write: (c) => {
          err += new TextDecoder().decode(c);
          noteAllReady();
        },
      }),
    ).catch(() => {});
    return child;
  });
  const deadline = started + 30_000;
  while (performance.now() < deadline) {
    const lineOk = !options.readyLine || options.readyLine.test(err);
    if (lineOk) {
      try {
        const res = await fetch(options.url);
        await res.body?.cancel();
        if (res.status === 200) {
          const readyMs = performance.now() - started;
          while (options.allReadyLine && allReadyMs === null && performance.now() < deadline) {
            await new Promise((r) => setTimeout(r, 5));
          }
          return { children, readyMs, allReadyMs, stderr: () => err };
        }
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await stopServer({ children, readyMs: 0, allReadyMs: null, stderr: () => err });
  throw new Error(`Server did not answer within 30 s: ${err.slice(-2000)}`);
}

/**
 * Stops every process: SIGTERM, then SIGKILL after 10 s.
 *
 * @example
 * ```ts
 * import { startServer, stopServer } from "./processes.ts";
 * await stopServer(await startServer([["deno", ["run", "-A", "x.ts"]]], { url: "http://127.0.0.1:8080/" }));
 * ```
 */
export async function stopServer(running: Running): Promise<void> {
  await Promise.all(running.children.map(async (c) => {
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        c.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, 10_000);
    await c.status;
    clearTimeout(timer);
  }));
}

/**
 * Direct children of `pid` (from /proc/PID/task/PID/children).
 *
 * @example
 * ```ts
 * import { childPids } from "./processes.ts";
 * childPids(Deno.pid); // []
 * ```
 */
export function childPids(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Resident set size of `pid` in MB (VmRSS).
 *
 * @example
 * ```ts
 * import { rssMb } from "./processes.ts";
 * rssMb(Deno.pid);
 * ```
 */
export function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/**
 * Memory only `pid` holds, in MB: private clean and dirty pages
 * (`/proc/PID/smaps_rollup`). Unlike RSS it leaves out the pages of the
 * `deno` executable that every Deno process on the machine shares, so it is
 * what one more process of the same program costs.
 *
 * @example
 * ```ts
 * import { privateMb } from "./processes.ts";
 * privateMb(Deno.pid);
 * ```
 */
export function privateMb(pid: number): number {
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  let kb = 0;
  for (const match of rollup.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) {
    kb += Number(match[1]);
  }
  return kb / 1024;
}

/**
 * CPU time (user + system) of `pid` in seconds; with `process`, of the
 * thread `pid` of that process.
 *
 * @example
 * ```ts
 * import { cpuSeconds } from "./processes.ts";
 * cpuSeconds(Deno.pid);
 * cpuSeconds(Deno.pid, Deno.pid); // its main thread only
 * ```
 */
export function cpuSeconds(pid: number, process?: number): number {
  const path = process === undefined ? `/proc/${pid}/stat` : `/proc/${process}/task/${pid}/stat`;
  const stat = Deno.readTextFileSync(path);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
