/**
 * `deno task bench:recycle`: what replacing workers costs clients. Three
 * phases, each a fresh Herd with 2 workers under one wrk run (keep-alive,
 * which honours `Connection: close`):
 *
 * - (a) recycling: `max_requests` so low that workers are replaced as fast
 *   as heartbeats report them (about one per worker per second);
 * - (b) reload: `HUP` every 2 s;
 * - (c) crash: `kill -9` of a ready worker every 3 s.
 *
 * Each phase reports requests, failed requests (wrk socket errors plus
 * non-2xx answers) and restarts by reason, read from `main.ts status
 * --json` run with the same configuration as `serve`.
 *
 * ```sh
 * deno task bench:recycle                  # 8 s per phase, 64 connections
 * deno task bench:recycle --seconds 5 --connections 32
 * deno task bench:recycle --write          # also rewrite the recycle section of docs/benchmarks.md
 * ```
 *
 * @module
 */
import { tcpMigrateReq } from "../src/platform/tcp_migrate_req.ts";
import { machineDescription, writeDocSection } from "./bench/doc_section.ts";
import { parseScriptArgs } from "./script_args.ts";
import { haveWrk, runWrk, type WrkResult } from "./bench/wrk.ts";
import { freePort, startServer, stopServer } from "./bench/processes.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const APP = `${ROOT}scripts/bench/hello_app.ts`;
const DENO = Deno.execPath();

/** One phase: extra `serve` flags and what to do to the master while wrk runs. */
interface Phase {
  name: string;
  flags: string[];
  /** Period of `disturb` in ms; 0: none. */
  everyMs: number;
  disturb: (herd: HerdUnderTest) => Promise<void>;
  note: string;
}

/** The running Herd a phase disturbs. */
interface HerdUnderTest {
  masterPid: number;
  /** Runs `main.ts status --json` with the phase's configuration. */
  status(): Promise<StatusAnswer>;
}

interface StatusAnswer {
  workers: { pid: number; state: string }[];
  restarts: Record<string, number>;
}

/** What one phase measured. */
interface PhaseResult {
  phase: Phase;
  wrk: WrkResult;
  restarts: Record<string, number>;
  disturbances: number;
}

const PHASES: Phase[] = [
  {
    name: "(a) recycling, max_requests 2000 + jitter 500",
    flags: ["--max-requests", "2000", "--max-requests-jitter", "500"],
    everyMs: 0,
    disturb: () => Promise.resolve(),
    note: "must be 0",
  },
  {
    name: "(b) reload, HUP every 2 s",
    flags: [],
    everyMs: 2000,
    disturb: (herd) => Promise.resolve(Deno.kill(herd.masterPid, "SIGHUP")),
    note: "must be 0",
  },
  {
    name: "(c) kill -9 of a worker every 3 s",
    flags: [],
    everyMs: 3000,
    disturb: async (herd) => {
      const ready = (await herd.status()).workers.find((w) => w.state === "ready");
      if (ready) Deno.kill(ready.pid, "SIGKILL");
    },
    note: "loses what was in flight on the killed worker",
  },
];

async function runPhase(
  phase: Phase,
  load: { seconds: number; connections: number },
): Promise<PhaseResult> {
  const port = freePort();
  const flags = [
    ...["--host", "127.0.0.1", "--port", String(port), "--workers", "2"],
    ...["--access-log=", "--log-level", "warning", ...phase.flags],
  ];
  const running = await startServer([[DENO, ["run", "-A", MAIN, "serve", APP, ...flags]]], {
    url: `http://127.0.0.1:${port}/`,
  });
  const herd: HerdUnderTest = {
    masterPid: running.children[0].pid,
    status: () => status(flags),
  };
  try {
    let disturbances = 0;
    const timer = phase.everyMs > 0
      ? setInterval(() => {
        disturbances++;
        phase.disturb(herd).catch((e) => console.error(`disturbance failed: ${e}`));
      }, phase.everyMs)
      : null;
    const wrk = await runWrk(`http://127.0.0.1:${port}/`, { ...load, threads: 1 });
    if (timer !== null) clearInterval(timer);
    // Let the last replacement finish before counting restarts.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { phase, wrk, restarts: (await herd.status()).restarts, disturbances };
  } finally {
    await stopServer(running);
  }
}

async function status(flags: string[]): Promise<StatusAnswer> {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", MAIN, "status", "--json", ...flags],
    stderr: "null",
  }).output();
  if (!out.success) throw new Error(`main.ts status failed with code ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function renderReport(results: PhaseResult[], load: { seconds: number; connections: number }) {
  const rows = results.map(({ phase, wrk, restarts }) => {
    const failed = wrk.socketErrors + wrk.non2xx;
    const byReason = Object.entries(restarts).map(([r, n]) => `${r} ${n}`).join(", ") || "none";
    return `| ${phase.name} | ${wrk.requests.toLocaleString("en-US")} | ${
      Math.round(wrk.rps).toLocaleString("en-US")
    } | ${failed} (${wrk.socketErrors} socket, ${wrk.non2xx} non-2xx) | ${phase.note} | ${byReason} |`;
  });
  return [
    `2 workers, hello-world app, access log off; wrk -t1 -c${load.connections} -d${load.seconds}s (keep-alive) per phase, a fresh Herd each`,
    "",
    "| phase | requests | req/s | failed | expected | restarts (status --json) |",
    "|---|---:|---:|---|---|---|",
    ...rows,
    "",
    "Failed = wrk socket errors + non-2xx responses. In (c) a SIGKILLed worker takes its",
    "in-flight requests and any connections queued on its listener with it (the kernel resets",
    "them while `net.ipv4.tcp_migrate_req` is 0); the master replaces it at once.",
  ].join("\n");
}

async function writeDocs(report: string): Promise<void> {
  const path = `${ROOT}docs/benchmarks.md`;
  const migrate = (await tcpMigrateReq()) ?? "unknown";
  const body = [
    "## Replacing workers under load",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on ${await machineDescription()}, ` +
    `\`tcp_migrate_req=${migrate}\`, command \`deno task bench:recycle\`.`,
    "",
    report,
  ].join("\n");
  await writeDocSection(path, { name: "recycle", body });
  console.error(`wrote ${path}`);
}

async function main(): Promise<number> {
  const values = parseScriptArgs("bench:recycle", {
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "64" },
    write: { type: "boolean", default: false },
  });
  if (!(await haveWrk())) {
    console.error("error: wrk is not installed (apt-get install wrk)");
    return 1;
  }
  const load = { seconds: Number(values.seconds), connections: Number(values.connections) };
  const results: PhaseResult[] = [];
  for (const phase of PHASES) {
    console.error(`running ${phase.name} ...`);
    results.push(await runPhase(phase, load));
  }
  const report = renderReport(results, load);
  console.log(report);
  if (values.write) await writeDocs(report);
  const lossless = results.slice(0, 2).every((r) => r.wrk.socketErrors + r.wrk.non2xx === 0);
  return lossless ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
