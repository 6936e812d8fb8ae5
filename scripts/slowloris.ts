/**
 * `deno task bench:slowloris`: opens many connections that trickle one
 * header byte every few seconds, while a polite client keeps requesting,
 * and reports whether the polite client was served (latency, errors), what
 * became of the slow connections, and the workers' RSS before and after.
 *
 * ```sh
 * deno task bench:slowloris                              # 500 slow connections, 20 s
 * deno task bench:slowloris --connections 200 --seconds 10
 * deno task bench:slowloris --herd-args="--max-age 8"   # recycling reaps them
 * deno task bench:slowloris --url http://127.0.0.1:8080/
 * ```
 *
 * Deno.serve has no header-read timeout, so a slow connection is held until
 * the client gives up or the worker drains (docs/slowloris.md).
 *
 * @module
 */
import { parseScriptArgs } from "./script_args.ts";
import { rssMb } from "./bench/processes.ts";
import { openTarget, type Target } from "./hostile/herd_target.ts";

const values = parseScriptArgs("bench:slowloris", {
  url: { type: "string" },
  connections: { type: "string", default: "500" },
  seconds: { type: "string", default: "20" },
  "interval-ms": { type: "string", default: "3000" },
  workers: { type: "string", default: "2" },
  "herd-args": { type: "string", default: "" },
});
// With --url the server is the user's: what would shape Herd's own would be silently unused.
const shaping = ["--workers", "--herd-args"].find((flag) =>
  Deno.args.some((arg) => arg === flag || arg.startsWith(`${flag}=`))
);
if (values.url !== undefined && shaping !== undefined) {
  console.error(
    `error: ${shaping} shapes the Herd bench:slowloris starts, and --url names a server of yours instead: give one or the other`,
  );
  Deno.exit(2);
}
const slowCount = Number(values.connections);
const seconds = Number(values.seconds);
const intervalMs = Number(values["interval-ms"]);
const extraArgs = values["herd-args"].split(" ").filter((a) => a !== "");

/** What became of the slow connections. */
interface SlowFate {
  connected: number;
  refused: number;
  closedByServer: number;
  openAtEnd: number;
}

await using target = await openTarget({
  url: values.url ?? null,
  workers: Number(values.workers),
  extraArgs,
});
const before = await target.status();
const rssBefore = totalRss(before.pids);
const deadline = Date.now() + seconds * 1000;
const [fate, polite] = await Promise.all([slowClients(target), politeClient(target)]);
const after = await target.status();
const rssAfter = totalRss(after.pids);

const sorted = polite.latenciesMs.sort((a, b) => a - b);
const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
console.log(
  `Slowloris against ${target.url}: ${slowCount} connections, one header byte every ` +
    `${intervalMs} ms, ${seconds} s${extraArgs.length ? ` (herd ${extraArgs.join(" ")})` : ""}`,
);
console.log(
  `  polite client: ${polite.ok} x 200, ${polite.errors} errors, ` +
    `p50 ${quantile(0.5)?.toFixed(1)} ms, p99 ${quantile(0.99)?.toFixed(1)} ms, ` +
    `max ${sorted.at(-1)?.toFixed(1)} ms`,
);
console.log(
  `  slow connections: ${fate.connected} connected, ${fate.refused} refused, ` +
    `${fate.closedByServer} closed by the server, ${fate.openAtEnd} still open at the end`,
);
console.log(
  `  worker RSS (sum): ${rssBefore} before, ${rssAfter} after ` +
    `(pids ${before.pids.join(",")} -> ${after.pids.join(",")}; restarts +${
      after.restarts - before.restarts
    })`,
);

function totalRss(pids: number[]): string {
  try {
    return `${pids.reduce((sum, pid) => sum + rssMb(pid), 0).toFixed(1)} MB`;
  } catch {
    return "n/a (not local)";
  }
}

async function slowClients(target: Target): Promise<SlowFate> {
  const fate: SlowFate = { connected: 0, refused: 0, closedByServer: 0, openAtEnd: 0 };
  const encoder = new TextEncoder();
  const one = async (i: number) => {
    // Spread the connects over the first second so the accept queue is not the test.
    await sleep((i * 1000) / slowCount);
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: target.hostname, port: target.port });
    } catch {
      fate.refused++;
      return;
    }
    fate.connected++;
    let closed = false;
    const reader = conn.read(new Uint8Array(1024)).then(() => closed = true, () => closed = true);
    try {
      await conn.write(encoder.encode(`GET /slow/${i} HTTP/1.1\r\nHost: x\r\nX-Slow: `));
      while (!closed && Date.now() < deadline) {
        await sleep(Math.min(intervalMs, deadline - Date.now()));
        if (!closed && Date.now() < deadline) await conn.write(encoder.encode("a"));
      }
    } catch {
      closed = true; // the server reset the connection under our write
    }
    if (closed) fate.closedByServer++;
    else fate.openAtEnd++;
    conn.close();
    await reader;
  };
  await Promise.all(Array.from({ length: slowCount }, (_, i) => one(i)));
  return fate;
}

async function politeClient(target: Target) {
  const result = { ok: 0, errors: 0, latenciesMs: [] as number[] };
  // A new connection per request: the accept path must keep working, not one warm socket.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  while (Date.now() < deadline) {
    const started = performance.now();
    try {
      const res = await fetch(target.url, { client, signal: AbortSignal.timeout(5000) });
      await res.body?.cancel();
      if (res.status === 200) result.ok++;
      else result.errors++;
    } catch {
      result.errors++;
    }
    result.latenciesMs.push(performance.now() - started);
    await sleep(20);
  }
  client.close();
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
