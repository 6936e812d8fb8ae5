/**
 * `deno task bench:access-log`: where the access log's cost per request
 * goes. One process serves hello world through Herd's request guard (as a
 * worker does, with the default settings) in four modes, interleaved over
 * rounds, under wrk -t1 -c32, and the server's CPU time per request is
 * reported for each:
 *
 * - `no log`: the app takes no request, so Deno builds none;
 * - `request built`: an access logger that does nothing, so the guard takes
 *   the request (and the peer, for keep-alive);
 * - `line formatted`: Gunicorn's default format, the line thrown away;
 * - `line written`: the real access log, buffered into a file.
 *
 * One process on one core, with wrk on the other, so the CPU figures are
 * the guard's and the log's own. Run `deno task bench` for the side-by-side
 * comparison with `deno serve --parallel`.
 *
 * ```sh
 * deno task bench:access-log               # 3 rounds of 5 s
 * deno task bench:access-log --rounds 5 --format '%(h)s "%(r)s" %(s)s'
 * ```
 *
 * @module
 */
import { parseScriptArgs } from "../script_args.ts";
import { type AccessLogWriter, createRequestGuard } from "../../src/worker/request_guard.ts";
import { openAccessLog } from "../../src/logging/access_log.ts";
import { compileAccessFormat } from "../../src/logging/access_format.ts";
import { defaultSettings } from "../../src/settings/table.ts";
import { guardSettings } from "../../src/worker/worker.ts";
import { median } from "./median.ts";
import { cpuSeconds, freePort, startServer, stopServer } from "./processes.ts";
import { haveWrk, runWrk } from "./wrk.ts";

const MODES = ["no log", "request built", "line formatted", "line written"] as const;
type Mode = (typeof MODES)[number];

/** What a worker runs with when nothing is configured. */
const DEFAULTS = defaultSettings("development");

/** The server side: `access_log_parts.ts --serve MODE PORT FORMAT LOGFILE`. */
function serve(mode: Mode, port: number, format: string, logFile: string): void {
  let kept = 0;
  const toLine = compileAccessFormat(format, { forwardedAllowIps: DEFAULTS.forwarded_allow_ips });
  const accessLog: AccessLogWriter | null = mode === "no log"
    ? null
    : mode === "request built"
    ? { timesBody: false, write() {} }
    : mode === "line formatted"
    ? {
      timesBody: false,
      write(req, info, res, startedAtMs, durationMs) {
        kept += toLine({ req, info, res, startedAtMs, durationMs }).length;
      },
    }
    : openAccessLog({ ...DEFAULTS, access_log: logFile, access_log_format: format });
  const guard = createRequestGuard(() => new Response("Hello, World!\n"), {
    ...guardSettings(DEFAULTS),
    accessLog,
  });
  Deno.serve({ hostname: "127.0.0.1", port, reusePort: true, onListen() {} }, guard.handler);
  // Keeps the formatted lengths observable, so the formatting cannot be skipped as unused.
  Deno.addSignalListener("SIGTERM", () => Deno.exit(kept >= 0 ? 0 : 1));
}

async function main(): Promise<number> {
  const values = parseScriptArgs("bench:access-log", {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    format: { type: "string", default: DEFAULTS.access_log_format },
  });
  if (!(await haveWrk())) {
    console.error("error: wrk is not installed (apt-get install wrk)");
    return 1;
  }
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const tmp = await Deno.makeTempDir({ prefix: "herd-access-parts-" });
  const cpu = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const port = freePort();
        const args = [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "--serve",
          mode,
          String(port),
          values.format,
          `${tmp}/access.log`,
        ];
        const url = `http://127.0.0.1:${port}/`;
        const running = await startServer([[Deno.execPath(), args]], { url });
        try {
          await runWrk(url, { seconds: 1, connections: 32 });
          const pid = running.children[0].pid;
          const before = cpuSeconds(pid);
          const result = await runWrk(url, { seconds, connections: 32 });
          const us = (cpuSeconds(pid) - before) / result.requests * 1e6;
          cpu.get(mode)!.push(us);
          console.error(`round ${round}/${rounds}: ${mode}: ${us.toFixed(2)} µs/request`);
        } finally {
          await stopServer(running);
          await Deno.remove(`${tmp}/access.log`).catch(() => {});
        }
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  console.log(`format: ${values.format}; wrk -t1 -c32 -d${seconds}s; ${rounds} rounds\n`);
  console.log("| mode | server CPU µs/request (median) | over the previous mode | rounds |");
  console.log("|---|---:|---:|---|");
  let previous: number | null = null;
  for (const mode of MODES) {
    const all = cpu.get(mode)!;
    const mid = median(all);
    const step = previous === null
      ? ""
      : `${mid >= previous ? "+" : ""}${(mid - previous).toFixed(2)}`;
    console.log(
      `| ${mode} | ${mid.toFixed(2)} | ${step} | ${all.map((v) => v.toFixed(2)).join(", ")} |`,
    );
    previous = mid;
  }
  return 0;
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") {
    const [, mode, port, format, logFile] = Deno.args;
    serve(mode as Mode, Number(port), format, logFile);
  } else {
    Deno.exit(await main());
  }
}
