/**
 * Tests for `src/metrics/prometheus.ts`: the output is read back with a
 * small strict parser of the text exposition format 0.0.4.
 *
 * @module
 */
import { assert, assertEquals, assertThrows } from "../../assert.ts";
import { addStats, emptyStats, renderMetrics } from "../../../src/metrics/prometheus.ts";
import { DURATION_BUCKETS_S, type RequestStats } from "../../../src/ipc/protocol.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(?:,|$)/;
const SUFFIXES: Record<string, string[]> = {
  counter: [""],
  gauge: [""],
  histogram: ["_bucket", "_sum", "_count"],
};

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/.test(text)) throw new Error(`Bad value "${text}"`);
  return Number(text);
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text ?? "";
  while (rest !== "") {
    const match = LABEL.exec(rest);
    if (match === null) throw new Error(`Bad labels "${text}"`);
    if (match[1] in labels) throw new Error(`Duplicate label "${match[1]}"`);
    labels[match[1]] = match[2];
    rest = rest.slice(match[0].length);
  }
  return labels;
}

/** Parses exposition text strictly: HELP then TYPE before samples, names matching their family. */
function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("Missing final newline");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: { name: string; family: Family } | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    const help = /^# HELP (\S+) (.+)$/.exec(line);
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (help) {
      if (families.has(help[1])) throw new Error(`Family "${help[1]}" repeated`);
      current = { name: help[1], family: { type: "", help: help[2], samples: [] } };
      families.set(help[1], current.family);
    } else if (type) {
      if (current?.name !== type[1] || current.family.type !== "") {
        throw new Error(`TYPE without its HELP: "${line}"`);
      }
      current.family.type = type[2];
    } else {
      const match = SAMPLE.exec(line);
      if (match === null || current === null || current.family.type === "") {
        throw new Error(`Bad line "${line}"`);
      }
      const suffix = match[1].slice(current.name.length);
      if (!match[1].startsWith(current.name) || !SUFFIXES[current.family.type].includes(suffix)) {
        throw new Error(`Sample "${match[1]}" outside its family "${current.name}"`);
      }
      const labels = parseLabels(match[2]);
      const key = `${match[1]}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) throw new Error(`Sample "${line}" repeated: invalid exposition`);
      seen.add(key);
      current.family.samples.push({ name: match[1], labels, value: parseValue(match[3]) });
    }
  }
  return families;
}

/** Checks a histogram: cumulative buckets ending in +Inf, and _count equal to it. */
function checkHistogram(family: Family): Sample[] {
  const buckets = family.samples.filter((s) => s.name.endsWith("_bucket"));
  assertEquals(buckets.at(-1)?.labels.le, "+Inf");
  for (let i = 1; i < buckets.length; i++) {
    assert(
      Number(buckets[i].labels.le) > Number(buckets[i - 1].labels.le) || i === buckets.length - 1,
    );
    assert(buckets[i].value >= buckets[i - 1].value, "buckets are cumulative");
  }
  const count = family.samples.find((s) => s.name.endsWith("_count"));
  assertEquals(count?.value, buckets.at(-1)?.value);
  return buckets;
}

function stats(overrides: Partial<RequestStats>): RequestStats {
  return { ...emptyStats(), ...overrides };
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}) {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, "")) ?? families.get(name);
  const sample = family?.samples.find((s) =>
    s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels)
  );
  if (sample === undefined) throw new Error(`No sample ${name} ${JSON.stringify(labels)}`);
  return sample.value;
}

const BUCKETS = DURATION_BUCKETS_S.length + 1;
const ramp = (step: number) => Array.from({ length: BUCKETS }, (_, i) => Math.min(i, 5) * step);

Deno.test("the parser rejects malformed exposition text", () => {
  assertThrows(() => parseExposition("x 1\n"));
  assertThrows(() => parseExposition("# HELP a h\n# TYPE a counter\nb 1\n"));
  assertThrows(() => parseExposition('# HELP a h\n# TYPE a gauge\na{x="1} 1\n'));
  assertThrows(() => parseExposition("# HELP a h\n# TYPE a gauge\na one\n"));
});

Deno.test("metrics render, parse and sum live and retired workers", () => {
  const text = renderMetrics({
    workers: [
      {
        id: 1,
        pid: 101,
        state: "ready",
        stats: stats({
          served: 5,
          inFlight: 2,
          rss: 50_000_000,
          byClass: [0, 4, 0, 1, 0],
          durationBuckets: ramp(1),
          durationSum: 0.75,
          rejected: 1,
        }),
      },
      { id: 2, pid: 102, state: "booting", stats: emptyStats() },
      { id: 3, pid: 103, state: "draining", stats: stats({ rss: 1, inFlight: 1, timedOut: 2 }) },
    ],
    retired: stats({ byClass: [0, 10, 0, 0, 3], durationBuckets: ramp(2), durationSum: 2.5 }),
    restarts: { max_requests: 4, crash: 1 },
  });
  const families = parseExposition(text);
  assertEquals(families.get("herd_requests_total")?.type, "counter");
  assertEquals(value(families, "herd_requests_total", { class: "2xx" }), 14);
  assertEquals(value(families, "herd_requests_total", { class: "5xx" }), 3);
  assertEquals(value(families, "herd_requests_in_flight"), 3);
  assertEquals(value(families, "herd_requests_rejected_total"), 1);
  assertEquals(value(families, "herd_requests_timed_out_total"), 2);
  for (const state of ["booting", "ready", "draining"]) {
    assertEquals(value(families, "herd_workers", { state }), 1);
  }
  assertEquals(value(families, "herd_worker_restarts_total", { reason: "max_requests" }), 4);
  assertEquals(value(families, "herd_worker_restarts_total", { reason: "reload" }), 0);
  assertEquals(value(families, "herd_worker_rss_bytes", { worker: "1" }), 50_000_000);
  const histogram = families.get("herd_request_duration_seconds")!;
  assertEquals(histogram.type, "histogram");
  const buckets = checkHistogram(histogram);
  assertEquals(buckets.length, BUCKETS);
  assertEquals(buckets.map((b) => b.value), ramp(3));
  assertEquals(value(families, "herd_request_duration_seconds_sum"), 3.25);
  for (const [name, family] of families) {
    assert(family.help.length > 0 && family.type !== "", `${name} has HELP and TYPE`);
  }
});

Deno.test("a slot held by a draining worker and its replacement is one rss sample", () => {
  const worker = (pid: number, state: "ready" | "draining" | "booting", rss: number) => ({
    id: 1,
    pid,
    state,
    stats: stats({ rss }),
  });
  for (
    const workers of [
      [worker(1, "draining", 10), worker(2, "ready", 20)],
      [worker(2, "ready", 20), worker(1, "draining", 10)],
      [worker(2, "booting", 10), worker(1, "ready", 20)],
    ]
  ) {
    const families = parseExposition(
      renderMetrics({ workers, retired: emptyStats(), restarts: {} }),
    );
    assertEquals(families.get("herd_worker_rss_bytes")?.samples.length, 1);
    assertEquals(value(families, "herd_worker_rss_bytes", { worker: "1" }), 20);
  }
});

Deno.test("an empty master still renders every family", () => {
  const families = parseExposition(
    renderMetrics({ workers: [], retired: emptyStats(), restarts: {} }),
  );
  assertEquals(families.size, 8);
  assertEquals(families.get("herd_worker_rss_bytes")?.samples, []);
  checkHistogram(families.get("herd_request_duration_seconds")!);
});

Deno.test("addStats sums counters, keeps the oldest request and pads missing buckets", () => {
  const sum = addStats(
    stats({ served: 1, oldestMs: 40, byClass: [1, 0, 0, 0, 0], durationBuckets: [] }),
    stats({ served: 2, oldestMs: 10, durationBuckets: ramp(1), durationSum: 1 }),
  );
  assertEquals([sum.served, sum.oldestMs, sum.durationSum], [3, 40, 1]);
  assertEquals(sum.byClass, [1, 0, 0, 0, 0]);
  assertEquals(sum.durationBuckets, ramp(1));
});
