/**
 * `deno task fuzz`: sends randomised and mutated HTTP/1.1 requests to Herd
 * from several connections for a bounded time, then reports what came
 * back and whether any worker crashed. Exits 1 on a crash.
 *
 * ```sh
 * deno task fuzz                               # starts Herd (2 workers), 20 s, 4 connections
 * deno task fuzz --seconds 5 --seed 42         # replay a run
 * deno task fuzz --url http://127.0.0.1:8080/  # a running Herd (status must reach it)
 * deno task fuzz --json                        # the report as JSON
 * ```
 *
 * A crash is a worker restart or a changed worker pid, seen through
 * `main.ts status --json` before and after the run. A request that gets no
 * answer before `--wait-ms` while the connection stays open is a "hang": a
 * truncated request waits for bytes that never come, since Deno.serve has
 * no header-read timeout (see docs/slowloris.md); it is reported, not a
 * failure.
 *
 * @module
 */
import { parseScriptArgs } from "./script_args.ts";
import { openTarget } from "./hostile/herd_target.ts";
import { mulberry32, mutatedRequest } from "./hostile/mutations.ts";
import { rawExchange } from "./hostile/raw_exchange.ts";

/** What a fuzz run saw. */
interface FuzzReport {
  seed: number;
  seconds: number;
  sent: number;
  byClass: Record<string, number>;
  closedWithoutResponse: number;
  hangs: number;
  crashes: number;
  workersBefore: number[];
  workersAfter: number[];
}

const values = parseScriptArgs("fuzz", {
  url: { type: "string" },
  seconds: { type: "string", default: "20" },
  connections: { type: "string", default: "4" },
  workers: { type: "string", default: "2" },
  seed: { type: "string" },
  "wait-ms": { type: "string", default: "1000" },
  json: { type: "boolean", default: false },
});
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const seconds = Number(values.seconds);
const waitMs = Number(values["wait-ms"]);

await using target = await openTarget({ url: values.url ?? null, workers: Number(values.workers) });
const before = await target.status();
const report: FuzzReport = {
  seed,
  seconds,
  sent: 0,
  byClass: {},
  closedWithoutResponse: 0,
  hangs: 0,
  crashes: 0,
  workersBefore: before.pids,
  workersAfter: [],
};
const deadline = Date.now() + seconds * 1000;
const loops = Array.from({ length: Number(values.connections) }, async (_, i) => {
  const random = mulberry32(seed + i);
  while (Date.now() < deadline) {
    const { bytes } = mutatedRequest(random);
    report.sent++;
    const seen = await rawExchange(
      { hostname: target.hostname, port: target.port, timeoutMs: waitMs, stopAfter: 1 },
      bytes,
    );
    if (seen.status !== null) {
      const key = `${Math.floor(seen.status / 100)}xx`;
      report.byClass[key] = (report.byClass[key] ?? 0) + 1;
    } else if (seen.closed || seen.writeFailed) report.closedWithoutResponse++;
    else report.hangs++;
  }
});
await Promise.all(loops);
const after = await target.status();
report.workersAfter = after.pids;
const replaced = before.pids.filter((pid) => !after.pids.includes(pid)).length;
report.crashes = Math.max(replaced, after.restarts - before.restarts);

if (values.json) console.log(JSON.stringify(report));
else {
  const classes = Object.entries(report.byClass).sort().map(([k, n]) => `${k} ${n}`).join(", ");
  console.log(`Fuzzed ${target.url} for ${seconds} s (seed ${seed})`);
  console.log(`  requests sent:                ${report.sent}`);
  console.log(`  responses by class:           ${classes || "none"}`);
  console.log(`  closed without a response:    ${report.closedWithoutResponse}`);
  console.log(`  no answer within ${waitMs} ms:     ${report.hangs}`);
  console.log(`  crashes (restarts/pid changes): ${report.crashes}`);
}
if (report.crashes > 0) {
  console.error(`error: ${report.crashes} worker crash(es) during the fuzz run (seed ${seed})`);
  Deno.exitCode = 1;
}
