/**
 * Runs wrk and parses its report: the load generator behind `deno task
 * bench` and `deno task bench:recycle`.
 *
 * @module
 */

/** What one wrk run measured. */
export interface WrkResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors (connect + read + write + timeout). */
  socketErrors: number;
  /** Responses that were not 2xx or 3xx. */
  non2xx: number;
}

/**
 * Runs `wrk --latency` against `url` and parses the result.
 *
 * @example
 * ```ts
 * import { runWrk } from "./wrk.ts";
 * const r = await runWrk("http://127.0.0.1:8080/", { seconds: 5, connections: 64 });
 * console.log(r.rps);
 * ```
 */
export async function runWrk(
  url: string,
  options: { seconds: number; connections: number; threads?: number },
): Promise<WrkResult> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    url,
  ];
  const out = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`wrk failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return parseWrk(text);
}

/**
 * Parses wrk's text report.
 *
 * @example
 * ```ts
 * import { parseWrk } from "./wrk.ts";
 * parseWrk("  10 requests in 1.00s, 1KB read\nRequests/sec: 10.00\n").rps; // 10
 * ```
 */
export function parseWrk(text: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const latency = (pct: string) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(text);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
  };
}

/**
 * True when wrk is on the PATH.
 *
 * @example
 * ```ts
 * import { haveWrk } from "./wrk.ts";
 * if (!(await haveWrk())) console.error("apt-get install wrk");
 * ```
 */
export async function haveWrk(): Promise<boolean> {
  try {
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}
