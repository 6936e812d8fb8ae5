/**
 * The Herd a hostile-client script attacks: one it starts itself (two
 * workers on a free port, the hello fixture) or one already running at a
 * URL, plus its worker pids and restart counts from `main.ts status --json`,
 * which is how the scripts tell a survived attack from a crash.
 *
 * @example
 * ```ts
 * import { openTarget } from "./herd_target.ts";
 * await using target = await openTarget({ url: null, workers: 2 });
 * console.log(await target.status());
 * ```
 *
 * @module
 */
import { freePort, type Running, startServer, stopServer } from "../bench/processes.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const APP = `${ROOT}tests/fixtures/apps/hello.ts`;

/** Worker pids and restart counts, as `status --json` reports them. */
export interface TargetStatus {
  pids: number[];
  restarts: number;
}

/** A Herd under attack. */
export interface Target extends AsyncDisposable {
  hostname: string;
  port: number;
  url: string;
  /** Asks the master; throws with its message when it cannot. */
  status(): Promise<TargetStatus>;
}

/**
 * Starts Herd (when `url` is null) or points at the one at `url`.
 * `extraArgs` go to `serve` after the app.
 *
 * @example
 * ```ts
 * import { openTarget } from "./herd_target.ts";
 * await using target = await openTarget({ url: "http://127.0.0.1:8080/", workers: 2 });
 * ```
 */
export async function openTarget(
  options: { url: string | null; workers: number; extraArgs?: string[] },
): Promise<Target> {
  let running: Running | null = null;
  let url = options.url;
  if (url === null) {
    const port = freePort();
    url = `http://127.0.0.1:${port}/`;
    const args = ["run", "-A", MAIN, "serve", APP, "--host", "127.0.0.1", "--port", String(port)];
    args.push("--workers", String(options.workers), ...options.extraArgs ?? []);
    running = await startServer([[Deno.execPath(), args, { NO_COLOR: "1" }]], {
      url,
      readyLine: /Ready: \d+ workers? listening/,
    });
  }
  const parsed = new URL(url);
  const hostname = parsed.hostname;
  const port = Number(parsed.port || 80);
  return {
    hostname,
    port,
    url,
    status: () => readStatus(hostname, port),
    [Symbol.asyncDispose]: async () => {
      if (running) await stopServer(running);
    },
  };
}

async function readStatus(hostname: string, port: number): Promise<TargetStatus> {
  const args = ["run", "-A", MAIN, "status", "--json", "--host", hostname, "--port", String(port)];
  const out = await new Deno.Command(Deno.execPath(), { args, stdin: "null" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Status of Herd at ${hostname}:${port} failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
  const answer = JSON.parse(text) as {
    workers?: { pid: number }[];
    restarts?: Record<string, number>;
  };
  return {
    pids: (answer.workers ?? []).map((w) => w.pid).sort((a, b) => a - b),
    restarts: Object.values(answer.restarts ?? {}).reduce((sum, n) => sum + n, 0),
  };
}
