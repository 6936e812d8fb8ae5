/**
 * The master's `/metrics` endpoint (`metrics_bind`) end to end: scraped and
 * read back with a strict parser of the text format 0.0.4 (the same rules
 * as `tests/unit/metrics/prometheus_test.ts`), counters that grow with the
 * requests sent and survive a worker's recycling, 404 elsewhere, off by
 * default, and a bind failure as one line at startup.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, freePort, HAVE_PRLIMIT, limitOpenFiles, startHerd } from "./_harness.ts";

/** Samples by `name{labels}` (labels in the order rendered). */
type Samples = Map<string, number>;

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (\S+)$/;
const SUFFIXES: Record<string, string[]> = {
  counter: [""],
  gauge: [""],
  histogram: ["_bucket", "_sum", "_count"],
};

/** Parses exposition text strictly: HELP, then TYPE, then samples of that family only. */
function parseExposition(text: string): Samples {
  if (!text.endsWith("\n")) throw new Error("Missing final newline");
  const samples: Samples = new Map();
  let family: { name: string; type: string | null } | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    const help = /^# HELP (\S+) .+$/.exec(line);
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    const sample = SAMPLE.exec(line);
    if (help) family = { name: help[1], type: null };
    else if (type && family?.name === type[1] && family.type === null) family.type = type[2];
    else if (sample && family?.type) {
      const suffix = sample[1].slice(family.name.length);
      if (!sample[1].startsWith(family.name) || !SUFFIXES[family.type].includes(suffix)) {
        throw new Error(`Sample "${sample[1]}" outside its family "${family.name}"`);
      }
      const value = sample[3] === "+Inf" ? Infinity : Number(sample[3]);
      if (Number.isNaN(value)) throw new Error(`Bad value in "${line}"`);
      samples.set(sample[1] + (sample[2] ?? ""), value);
    } else throw new Error(`Bad line "${line}"`);
  }
  return samples;
}

async function scrape(url: string): Promise<Samples> {
  const response = await fetch(url);
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text());
}

function get(samples: Samples, key: string): number {
  const value = samples.get(key);
  if (value === undefined) throw new Error(`No sample ${key}`);
  return value;
}

async function send(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await fetch(url).then((r) => r.body?.cancel());
}

/** Scrapes until `probe` holds (heartbeats come once a second), at most ~5 s. */
async function scrapeUntil(url: string, probe: (s: Samples) => boolean): Promise<Samples> {
  let samples = await scrape(url);
  for (let i = 0; i < 50 && !probe(samples); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    samples = await scrape(url);
  }
  return samples;
}

const OK = 'herd_requests_total{class="2xx"}';
const RECYCLED = 'herd_worker_restarts_total{reason="max_requests"}';

Deno.test("metrics: counters grow with requests and survive a recycle", async () => {
  const bind = `127.0.0.1:${freePort()}`;
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--max-requests", "40", "--metrics-bind", bind],
    env: { HERD_ACCESS_LOG: "" },
  });
  await herd.waitForLog(new RegExp(`Metrics at http://${bind}/metrics`));
  const url = `http://${bind}/metrics`;
  const first = await scrape(url);
  assertEquals(get(first, OK), 0);
  assertEquals(get(first, 'herd_workers{state="ready"}'), 2);
  await send(herd.url, 30);
  const second = await scrapeUntil(url, (s) => get(s, OK) === 30);
  assertEquals(get(second, OK), 30);
  assertEquals(get(second, "herd_request_duration_seconds_count"), 30);
  const from = herd.lines.length;
  // 50 more make 80 over two workers with a limit of 40: at least one is recycled.
  await send(herd.url, 50);
  await herd.waitForLog(/exited with code 0 \(reason: max_requests\)/, { from });
  const third = await scrapeUntil(url, (s) => get(s, OK) === 80);
  assert(get(third, RECYCLED) >= 1, `restarts: ${get(third, RECYCLED)}`);
  // The retired worker's requests still count: nothing went backwards or was lost.
  assertEquals(get(third, OK), 80);
  const other = await fetch(`http://${bind}/other`);
  await other.body?.cancel();
  assertEquals(other.status, 404);
});

Deno.test("metrics: not served unless metrics_bind is set", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"] });
  assert(!herd.lines.some((line) => /Metrics at/.test(line)));
  const answer = await fetch(`${herd.url}/metrics`).then((r) => r.text());
  assert(answer.startsWith("hello from"), "the app, not the master, answers /metrics");
});

Deno.test("metrics: a busy metrics address is a one-line startup error", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const bind = `127.0.0.1:${(taken.addr as Deno.NetAddr).port}`;
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--metrics-bind", bind],
    waitReady: false,
  });
  assertEquals((await herd.waitForExit()).code, 5);
  const errors = herd.lines.filter((line) => line.startsWith("error:"));
  assertEquals(errors.length, 1, herd.lines.join("\n"));
  // In check's words, naming the setting and where it was given.
  assertEquals(
    errors[0],
    `error: Address ${bind} is already in use ("metrics_bind" from --metrics-bind (command line))`,
  );
  assert(!herd.lines.some((line) => /Booting worker/.test(line)), "no worker started");
});

/**
 * Opens up to 100 connections to the endpoint at `bind` into `held` (the caller closes them),
 * enough to leave a master limited to 64 files without one: its server then stops.
 */
async function floodEndpoint(bind: string, held: Deno.TcpConn[]): Promise<void> {
  const [hostname, port] = bind.split(":");
  for (let i = 0; i < 100; i++) {
    try {
      held.push(await Deno.connect({ hostname, port: Number(port) }));
    } catch {
      return; // Its listener is closed already.
    }
  }
}

Deno.test({
  name: "metrics: an endpoint whose server stopped on EMFILE listens again once freed",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    const bind = `127.0.0.1:${freePort()}`;
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--metrics-bind", bind],
    });
    await limitOpenFiles(herd.masterPid, 64);
    const from = herd.lines.length;
    const held: Deno.TcpConn[] = [];
    try {
      await floodEndpoint(bind, held);
      await herd.waitForLog(
        /Metrics endpoint stopped accepting connections \(.*Too many open files.*\); listening again in 1000 ms/,
        { from },
      );
    } finally {
      for (const conn of held) conn.close();
    }
    await herd.waitForLog(/Metrics endpoint listening again at http:\/\//, { from });
    const scrape = await fetch(`http://${bind}/metrics`);
    assertEquals(scrape.status, 200);
    assert((await scrape.text()).includes("herd_workers"));
    assert(!herd.lines.slice(from).some((l) => /Unhandled promise rejection/.test(l)));
  },
});

Deno.test({
  name: "metrics: a relisten refused while another program holds the port is said once per episode",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    const bind = `127.0.0.1:${freePort()}`;
    const [hostname, port] = bind.split(":");
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--metrics-bind", bind],
    });
    await limitOpenFiles(herd.masterPid, 64);
    const from = herd.lines.length;
    const held: Deno.TcpConn[] = [];
    let taken: Deno.TcpListener | null = null;
    try {
      await floodEndpoint(bind, held);
      await herd.waitForLog(/Metrics endpoint stopped accepting connections/, { from });
      // Its listener is closed: another program takes the port before the endpoint listens again.
      for (let i = 0; i < 20 && taken === null; i++) {
        try {
          taken = Deno.listen({ hostname, port: Number(port) });
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      assert(taken !== null, "the port was taken");
      for (const conn of held.splice(0)) conn.close();
      // Tried again every second meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 4500));
    } finally {
      for (const conn of held) conn.close();
      taken?.close();
    }
    await herd.waitForLog(/Metrics (endpoint listening again )?at http:\/\//, { from });
    const said = herd.lines.slice(from).filter((l) => /Metrics|already in use/.test(l));
    assertEquals(said.length, 3, said.join("\n"));
    assertMatch(said[0], /\[ERROR\] Metrics endpoint stopped accepting connections \(/);
    assertMatch(
      said[1],
      new RegExp(`\\[ERROR\\] Address ${bind} is already in use; trying again every 1000 ms$`),
    );
    assertMatch(
      said[2],
      new RegExp(`\\[INFO\\] Metrics endpoint listening again at http://${bind}/metrics$`),
    );
    assertEquals((await fetch(`http://${bind}/metrics`).then((r) => r.text())).length > 0, true);
  },
});
