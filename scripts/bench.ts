/**
 * `deno task bench`: Herd against `deno serve --parallel` and bare
 * `Deno.serve({ reusePort: true })` processes, side by side in one run, on
 * the same hello-world app and the same wrk load. Rounds are interleaved
 * (every variant once per round) and medians reported, with each row's ratio
 * to `deno serve --parallel` taken within each round (then the median and
 * range over rounds), because shared machines are noisy.
 *
 * Throughput on a 2-core machine also depends on how much CPU the server
 * leaves to wrk, so each row also reports the server's own CPU time per
 * request (every process of the variant, from /proc), which moves far less
 * between runs than requests per second.
 *
 * wrk runs with two threads by default (its own default, one per core
 * here). With one (`--threads 1`) the load generator is a bottleneck and
 * `deno serve --parallel` turns bimodal: when one of its threads happens to
 * accept every connection, that thread and wrk each get a core to
 * themselves. The report shows, per round, the share of `--parallel`'s
 * serving CPU that its busiest thread did, so such rounds can be seen.
 *
 * ```sh
 * deno task bench                      # N = 2 workers, 3 rounds of 5 s, wrk -t2 -c64
 * deno task bench --threads 1 --write  # wrk -t1 (its own section in docs/benchmarks.md)
 * deno task bench --workers 4 --rounds 5 --seconds 10 --connections 128
 * deno task bench --write              # also rewrite the figures in docs/benchmarks.md
 * deno task bench --connections 256 --write   # the same with more connections (its own section)
 * deno task bench --app scripts/bench/hello_request_app.ts   # an app that takes its request
 * deno task bench --access-log-format '%(s)s'   # what one access-log atom costs
 * ```
 *
 * Two last rows serve bare processes with apps that bound "Herd + access
 * log" from below: one reads from the runtime what Herd's default access-log
 * line needs and writes nothing (the floor); the other also writes that line,
 * with everything inlined into one handler (the most any JavaScript access
 * log can keep on this runtime).
 *
 * Also reported: memory of Herd's master and workers against a bare process
 * (RSS, and private memory, which leaves out the `deno` executable's pages
 * that all these processes share), the master's CPU while idle, and the
 * time from launch to the first 200, and for Herd to its master's `Ready:`
 * line, printed once every worker listens (`deno serve --parallel` and bare
 * processes print nothing that says so). A worker's overhead is taken in every round, after
 * the same load, as its largest worker against the mean of the bare
 * processes, then the median and range over rounds: one process's RSS moves
 * by ±1 MB with where V8's heap stands when it is read.
 *
 * @module
 */
import { machineDescription, writeDocSection } from "./bench/doc_section.ts";
import { parseScriptArgs } from "./script_args.ts";
import { haveWrk, runWrk, type WrkResult } from "./bench/wrk.ts";
import { median } from "./bench/median.ts";
import {
  childPids,
  cpuSeconds,
  freePort,
  privateMb,
  rssMb,
  type Running,
  startServer,
  stopServer,
} from "./bench/processes.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = Deno.execPath();
const DEFAULT_APP = `${ROOT}scripts/bench/hello_app.ts`;
// The floor under "Herd + access log": bare processes reading what its default line reads.
const ACCESS_FIELDS_APP = `${ROOT}scripts/bench/access_fields_app.ts`;
// The ceiling over it: bare processes writing the default line with everything inlined.
const MINIMAL_ACCESS_LOG_APP = `${ROOT}scripts/bench/minimal_access_log_app.ts`;

interface Variant {
  name: string;
  start: (port: number, run: RunOptions) => Promise<Running>;
  /** Whose memory is read after each round's load, and what the report calls them; absent: none. */
  memory?: MemoryOf;
}

interface MemoryOf {
  label: string;
  /** The processes the variant started, or (Herd) its master's workers. */
  of: "processes" | "workers";
  /** The processes every other measured variant is compared with; it runs first in each round. */
  reference?: true;
  /** Also the master's memory and idle CPU, after the last round. */
  master?: true;
}

/** What every variant of a run shares. */
interface RunOptions {
  workers: number;
  /** A scratch directory (the access log goes there). */
  tmp: string;
  /** The app module's absolute path. */
  app: string;
  /** Herd's `access_log_format`, or null for its default. */
  accessLogFormat: string | null;
}

/** One measured wrk run of one variant. */
interface Run extends WrkResult {
  /** CPU seconds of all the variant's processes per request, in µs. */
  cpuUsPerRequest: number;
}

function bare(
  appOf: (app: string) => string,
  envOf: (tmp: string) => Record<string, string> = () => ({}),
): Variant["start"] {
  return (port, { workers, app, tmp }) =>
    startServer(
      Array.from({ length: workers }, () =>
        [DENO, [
          "run",
          "-A",
          `${ROOT}scripts/bench/bare_server.ts`,
          String(port),
          appOf(app),
        ], envOf(tmp)] as [string, string[], Record<string, string>]),
      { url: `http://127.0.0.1:${port}/` },
    );
}

function herd(accessLog: (tmp: string) => string): Variant["start"] {
  return (port, { workers, tmp, app, accessLogFormat }) =>
    startServer([[DENO, [
      "run",
      "-A",
      `${ROOT}main.ts`,
      "serve",
      app,
      "--workers",
      String(workers),
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      `--access-log=${accessLog(tmp)}`,
      // info: the master's "Ready:" line, once every worker listens, is at info.
      "--log-level",
      "info",
      "--max-requests",
      "0",
      ...(accessLogFormat === null ? [] : [`--access-log-format=${accessLogFormat}`]),
    ], { HERD_ENV: "development" }]], {
      url: `http://127.0.0.1:${port}/`,
      allReadyLine: /Ready: \d+ workers? listening/,
    });
}

const VARIANTS: Variant[] = [
  {
    name: "deno serve --parallel",
    start: (port, { workers, app }) =>
      startServer([[DENO, [
        "serve",
        "--parallel",
        "-A",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        app,
      ], { DENO_JOBS: String(workers) }]], { url: `http://127.0.0.1:${port}/` }),
  },
  {
    name: "bare Deno.serve × N (reusePort)",
    start: bare((app) => app),
    memory: { label: "bare Deno.serve processes", of: "processes", reference: true },
  },
  {
    name: "Herd",
    start: herd(() => ""),
    memory: { label: "Herd workers", of: "workers", master: true },
  },
  {
    name: "Herd + access log to a file",
    start: herd((tmp) => `${tmp}/access.log`),
    memory: { label: "Herd workers with the access log", of: "workers" },
  },
  {
    name: "bare × N, reading what the access log reads",
    start: bare(() => ACCESS_FIELDS_APP),
    memory: { label: "bare processes reading what the access log reads", of: "processes" },
  },
  {
    name: "bare × N, writing a minimal access-log line",
    start: bare(
      () => MINIMAL_ACCESS_LOG_APP,
      (tmp) => ({ BENCH_ACCESS_LOG: `${tmp}/minimal-access.log` }),
    ),
  },
];

/**
 * Up to this share of `--parallel`'s CPU on its busiest thread, a round counts as an even
 * split: its threads then serve like N processes, and compare like for like.
 */
const EVEN_SPLIT = 0.6;

async function main(): Promise<number> {
  const values = parseScriptArgs("bench", {
    workers: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    app: { type: "string", default: DEFAULT_APP },
    "access-log-format": { type: "string" },
    write: { type: "boolean", default: false },
  });
  const workers = Number(values.workers);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const threads = Number(values.threads);
  const app = await Deno.realPath(values.app);
  if (!(await haveWrk())) {
    console.error("error: wrk is not installed (apt-get install wrk)");
    return 1;
  }
  const tmp = await Deno.makeTempDir({ prefix: "herd-bench-" });
  const results = new Map<string, Run[]>(VARIANTS.map((v) => [v.name, []]));
  const readyMs = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
  const allReadyMs = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
  // Per variant, per round, each process measured.
  const memory = new Map<Variant, Memory[][]>();
  let master: MasterFigures | null = null;
  const busiestThread: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const variant of VARIANTS) {
        const port = freePort();
        console.error(
          `round ${round}/${rounds}: ${variant.name} (${workers} workers, port ${port})`,
        );
        const running = await variant.start(port, {
          workers,
          tmp,
          app,
          accessLogFormat: values["access-log-format"] ?? null,
        });
        try {
          readyMs.get(variant.name)!.push(running.readyMs);
          if (running.allReadyMs !== null) allReadyMs.get(variant.name)!.push(running.allReadyMs);
          const url = `http://127.0.0.1:${port}/`;
          await runWrk(url, { seconds: 1, connections, threads }); // warm-up: JIT, connection setup
          const cpuBefore = serverCpuSeconds(running);
          const threadsBefore = threadCpuSeconds(running.children[0].pid);
          const r = await runWrk(url, { seconds, connections, threads });
          const cpuUsPerRequest = (serverCpuSeconds(running) - cpuBefore) * 1e6 / r.requests;
          if (variant === VARIANTS[0]) {
            busiestThread.push(
              busiestShare(threadsBefore, threadCpuSeconds(running.children[0].pid)),
            );
          }
          results.get(variant.name)!.push({ ...r, cpuUsPerRequest });
          console.error(
            `  ${Math.round(r.rps)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, ` +
              `server CPU ${cpuUsPerRequest.toFixed(2)} µs/request`,
          );
          if (variant.memory) {
            const pids = variant.memory.of === "workers"
              ? childPids(running.children[0].pid)
              : running.children.map((c) => c.pid);
            memory.set(variant, [...memory.get(variant) ?? [], pids.map(memoryOf)]);
            if (round === rounds && variant.memory.master) {
              master = await masterFigures(running.children[0].pid);
            }
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
    threads,
    busiestThread,
    app: app.startsWith(ROOT) ? app.slice(ROOT.length) : app,
    results,
    readyMs,
    allReadyMs,
    memory: memoryReport(memory, master),
    workers,
    rounds,
    seconds,
    connections,
  });
  console.log(report);
  // Each connection count keeps its own section: 64 is the reference load.
  if (values.write) {
    const section = [
      "bench",
      ...(connections === 64 ? [] : [`c${connections}`]),
      ...(threads === 2 ? [] : [`t${threads}`]),
      ...(values.app === DEFAULT_APP ? [] : [app.replace(/^.*\//, "").replace(/\.ts$/, "")]),
    ].join("-");
    await writeDocs(report, section, Deno.args.filter((a) => a !== "--write").join(" "));
  }
  return 0;
}

/** CPU seconds used so far by each thread of `pid`. */
function threadCpuSeconds(pid: number): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      seconds.set(Number(task.name), cpuSeconds(Number(task.name), pid));
    } catch {
      // The thread ended.
    }
  }
  return seconds;
}

/** The share of the CPU between two snapshots that the busiest thread used. */
function busiestShare(before: Map<number, number>, after: Map<number, number>): number {
  const used = [...after].map(([tid, s]) => s - (before.get(tid) ?? 0));
  const total = used.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.max(...used) / total : 0;
}

/** CPU seconds used so far by the variant's processes and their children (Herd's workers). */
function serverCpuSeconds(running: Running): number {
  let total = 0;
  for (const child of running.children) {
    for (const pid of [child.pid, ...childPids(child.pid)]) {
      try {
        total += cpuSeconds(pid);
      } catch {
        // Exited between listing and reading: its CPU is no longer counted anywhere.
      }
    }
  }
  return total;
}

/** Memory of one process, in MB. */
interface Memory {
  rss: number;
  private: number;
}

/** Herd's master after the last round. */
interface MasterFigures {
  memory: Memory;
  idleCpuPercent: number;
}

function memoryOf(pid: number): Memory {
  return { rss: rssMb(pid), private: privateMb(pid) };
}

function mb(value: number): string {
  return `${value.toFixed(1)} MB`;
}

async function masterFigures(pid: number): Promise<MasterFigures> {
  const memory = memoryOf(pid);
  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, 5000));
  return { memory, idleCpuPercent: (cpuSeconds(pid) - before) / 5 * 100 };
}

function memoryReport(measured: Map<Variant, Memory[][]>, master: MasterFigures | null): string {
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(", ");
  const signed = (x: number) => `${x < 0 ? "−" : "+"}${Math.abs(x).toFixed(1)}`;
  const reference = [...measured].find(([v]) => v.memory!.reference);
  if (reference === undefined) return "";
  const [base, baseRounds] = reference;
  const baseMean = (i: number, key: keyof Memory) => mean(baseRounds[i].map((m) => m[key]));
  const lines = [
    `- ${base.memory!.label} after load (mean of the N, median over rounds): RSS ${
      mb(median(baseRounds.map((_, i) => baseMean(i, "rss"))))
    }, private ${mb(median(baseRounds.map((_, i) => baseMean(i, "private"))))}`,
  ];
  for (const [variant, rounds] of measured) {
    if (variant === base || rounds.length !== baseRounds.length) continue;
    const over = (key: keyof Memory) => {
      const perRound = rounds.map((processes, i) =>
        Math.max(...processes.map((p) => p[key])) - baseMean(i, key)
      );
      return `${signed(median(perRound))} MB (rounds: ${perRound.map(signed).join(", ")})`;
    };
    const last = rounds[rounds.length - 1];
    lines.push(
      `- ${variant.memory!.label} after load, the largest over the bare processes' mean in the ` +
        `same round, median: RSS ${over("rss")}; private ${over("private")}. Last round: RSS ${
          list(last.map((p) => p.rss))
        } MB, private ${list(last.map((p) => p.private))} MB`,
    );
  }
  if (master !== null) {
    lines.push(
      `- Herd master after the last round: RSS ${mb(master.memory.rss)}, ` +
        `private ${mb(master.memory.private)}; ` +
        `CPU while idle (5 s): ${master.idleCpuPercent.toFixed(2)} %`,
    );
  }
  return lines.join("\n");
}

function renderReport(r: {
  threads: number;
  busiestThread: number[];
  app: string;
  results: Map<string, Run[]>;
  readyMs: Map<string, number[]>;
  allReadyMs: Map<string, number[]>;
  memory: string;
  workers: number;
  rounds: number;
  seconds: number;
  connections: number;
}): string {
  const base = r.results.get(VARIANTS[0].name)!;
  const evenRounds = r.busiestThread.flatMap((share, i) => share <= EVEN_SPLIT ? [i] : []);
  // Same-round ratios: a slow patch of the machine hits both sides of each one.
  const ratioText = (ratios: number[]) =>
    ratios.length === 0
      ? "no such round"
      : `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${
        Math.max(...ratios).toFixed(2)
      })`;
  const rows = VARIANTS.map((v) => {
    const runs = r.results.get(v.name)!;
    const allReady = r.allReadyMs.get(v.name)!;
    const rps = median(runs.map((x) => x.rps));
    const ratios = runs.map((x, i) => x.rps / base[i].rps);
    const cpu = median(runs.map((x) => x.cpuUsPerRequest));
    const cpuRatio = median(runs.map((x, i) => x.cpuUsPerRequest / base[i].cpuUsPerRequest));
    const errors = runs.reduce((a, x) => a + x.socketErrors + x.non2xx, 0);
    return `| ${v.name} | ${Math.round(rps).toLocaleString("en-US")} | ${
      median(runs.map((x) => x.p50Ms)).toFixed(2)
    } | ${median(runs.map((x) => x.p99Ms)).toFixed(2)} | ${errors} | ${ratioText(ratios)} | ${
      ratioText(evenRounds.map((i) => ratios[i]))
    } | ${cpu.toFixed(2)} (${cpuRatio.toFixed(2)}×) | ${
      Math.round(median(r.readyMs.get(v.name)!))
    } | ${allReady.length === 0 ? "—" : Math.round(median(allReady))} |`;
  });
  return [
    `N = ${r.workers} workers/processes/threads; app \`${r.app}\`; wrk -t${r.threads} -c${r.connections} -d${r.seconds}s; ` +
    `medians of ${r.rounds} interleaved rounds (ratios: median and range of same-round ratios; CPU: median, and median same-round ratio)`,
    "",
    "| variant | req/s | p50 ms | p99 ms | errors | vs `deno serve --parallel` | same, rounds it split evenly | server CPU µs/request | launch → answering (ms) | launch → all workers ready (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `- \`deno serve --parallel\`: share of its serving CPU done by its busiest thread, per round: ${
      r.busiestThread.map((x) => `${Math.round(x * 100)}%`).join(", ")
    } (50% is an even split, counted as one up to ${
      Math.round(EVEN_SPLIT * 100)
    }%; near 100%, one thread accepted every connection)`,
    r.memory,
  ].join("\n");
}

async function writeDocs(report: string, section: string, args: string): Promise<void> {
  const path = `${ROOT}docs/benchmarks.md`;
  const command = `deno task bench${args === "" ? "" : ` ${args}`}`;
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${await machineDescription()}, ` +
    `command \`${command}\`.`,
    "",
    report,
  ].join("\n");
  await writeDocSection(path, { name: section, body });
  console.error(`wrote ${path}`);
}

if (import.meta.main) Deno.exit(await main());
