/**
 * `deno task bench`: Herd against `deno serve --parallel` and bare
 * `Deno.serve({ reusePort: true })` processes, side by side in one run, on
 * the same hello-world app and the same wrk load. Rounds are interleaved
 * (every variant once per round) and medians reported, with each row's ratio
 * to `deno serve --parallel`, because shared machines are noisy.
 *
 * ```sh
 * deno task bench                      # N = 2 workers, 3 rounds of 5 s
 * deno task bench --workers 4 --rounds 5 --seconds 10 --connections 128
 * deno task bench --write              # also rewrite the figures in docs/benchmarks.md
 * deno task bench --connections 256 --write   # the same with more connections (its own section)
 * ```
 *
 * Also reported: RSS of Herd's master and workers against a bare process,
 * the master's CPU while idle, and launch-to-ready time.
 *
 * @module
 */
import { writeDocSection } from "./bench/doc_section.ts";
import { parseArgs } from "node:util";
import { haveWrk, runWrk, type WrkResult } from "./bench/wrk.ts";
import {
  childPids,
  cpuSeconds,
  freePort,
  rssMb,
  type Running,
  startServer,
  stopServer,
} from "./bench/processes.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const APP = `${ROOT}scripts/bench/hello_app.ts`;
const DENO = Deno.execPath();

interface Variant {
  name: string;
  start: (port: number, workers: number, tmp: string) => Promise<Running>;
}

function herd(accessLog: (tmp: string) => string): Variant["start"] {
  return (port, workers, tmp) =>
    startServer([[DENO, [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "serve",
      APP,
      "--workers",
      String(workers),
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      `--access-log=${accessLog(tmp)}`,
      "--log-level",
      "warning",
      "--max-requests",
      "0",
    ], { HERD_ENV: "development" }]], {
      url: `http://127.0.0.1:${port}/`,
    });
}

const VARIANTS: Variant[] = [
  {
    name: "deno serve --parallel",
    start: (port, workers) =>
      startServer([[DENO, [
        "serve",
        "--parallel",
        "-A",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        APP,
      ], { DENO_JOBS: String(workers) }]], { url: `http://127.0.0.1:${port}/` }),
  },
  {
    name: "bare Deno.serve × N (reusePort)",
    start: (port, workers) =>
      startServer(
        Array.from({ length: workers }, () =>
          [DENO, [
            "run",
            "-A",
            `${ROOT}scripts/bench/bare_server.ts`,
            String(port),
          ]] as [string, string[]]),
        { url: `http://127.0.0.1:${port}/` },
      ),
  },
  { name: "Herd", start: herd(() => "") },
  { name: "Herd + access log to a file", start: herd((tmp) => `${tmp}/access.log`) },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      workers: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "5" },
      connections: { type: "string", default: "64" },
      write: { type: "boolean", default: false },
    },
  });
  const workers = Number(values.workers);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  if (!(await haveWrk())) {
    console.error("error: wrk is not installed (apt-get install wrk)");
    return 1;
  }
  const tmp = await Deno.makeTempDir({ prefix: "herd-bench-" });
  const results = new Map<string, WrkResult[]>(VARIANTS.map((v) => [v.name, []]));
  const readyMs = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
  const memory: string[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const variant of VARIANTS) {
        const port = freePort();
        console.error(
          `round ${round}/${rounds}: ${variant.name} (${workers} workers, port ${port})`,
        );
        const running = await variant.start(port, workers, tmp);
        try {
          readyMs.get(variant.name)!.push(running.readyMs);
          const url = `http://127.0.0.1:${port}/`;
          await runWrk(url, { seconds: 1, connections }); // warm-up: JIT, connection setup
          const r = await runWrk(url, { seconds, connections });
          results.get(variant.name)!.push(r);
          console.error(`  ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms`);
          if (round === rounds && variant.name === "Herd") {
            memory.push(await measureHerdProcesses(running));
          }
          if (round === rounds && variant.name.startsWith("bare")) {
            const pid = running.children[0].pid;
            memory.push(`- bare Deno.serve process RSS after load: ${rssMb(pid).toFixed(1)} MB`);
          }
        } finally {
          await stopServer(running);
        }
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const report = renderReport({
    results,
    readyMs,
    memory: memory.join("\n"),
    workers,
    rounds,
    seconds,
    connections,
  });
  console.log(report);
  // Each connection count keeps its own section: 64 is the reference load.
  if (values.write) await writeDocs(report, connections === 64 ? "bench" : `bench-c${connections}`);
  return 0;
}

async function measureHerdProcesses(running: Running): Promise<string> {
  const master = running.children[0].pid;
  const workerPids = childPids(master);
  const workerRss = workerPids.map((p) => rssMb(p).toFixed(1)).join(", ");
  const before = cpuSeconds(master);
  await new Promise((r) => setTimeout(r, 5000));
  const idleCpu = (cpuSeconds(master) - before) / 5 * 100;
  return [
    `- Herd master RSS: ${rssMb(master).toFixed(1)} MB; worker RSS after load: ${workerRss} MB`,
    `- Herd master CPU while idle (5 s): ${idleCpu.toFixed(2)} %`,
  ].join("\n");
}

function renderReport(r: {
  results: Map<string, WrkResult[]>;
  readyMs: Map<string, number[]>;
  memory: string;
  workers: number;
  rounds: number;
  seconds: number;
  connections: number;
}): string {
  const base = median(r.results.get(VARIANTS[0].name)!.map((x) => x.rps));
  const rows = VARIANTS.map((v) => {
    const runs = r.results.get(v.name)!;
    const rps = median(runs.map((x) => x.rps));
    const errors = runs.reduce((a, x) => a + x.socketErrors + x.non2xx, 0);
    return `| ${v.name} | ${Math.round(rps).toLocaleString("en-US")} | ${
      median(runs.map((x) => x.p50Ms)).toFixed(2)
    } | ${median(runs.map((x) => x.p99Ms)).toFixed(2)} | ${errors} | ${
      (rps / base).toFixed(2)
    }× | ${Math.round(median(r.readyMs.get(v.name)!))} |`;
  });
  return [
    `N = ${r.workers} workers/processes/threads; wrk -t1 -c${r.connections} -d${r.seconds}s, median of ${r.rounds} interleaved rounds`,
    "",
    "| variant | req/s | p50 ms | p99 ms | errors | vs `deno serve --parallel` | launch → answering (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    r.memory,
  ].join("\n");
}

async function writeDocs(report: string, section: string): Promise<void> {
  const path = `${ROOT}docs/benchmarks.md`;
  const cpu = /model name\s*:\s*(.*)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? "?";
  const kernel = (await Deno.readTextFile("/proc/sys/kernel/osrelease")).trim();
  const body = [
    `Measured ${
      new Date().toISOString().slice(0, 10)
    } on ${navigator.hardwareConcurrency} × ${cpu}, Linux ${kernel}, Deno ${Deno.version.deno}, command \`deno task bench${
      section === "bench" ? "" : ` --connections ${section.slice(7)}`
    }\`.`,
    "",
    report,
  ].join("\n");
  await writeDocSection(path, { name: section, body });
  console.error(`wrote ${path}`);
}

if (import.meta.main) Deno.exit(await main());
