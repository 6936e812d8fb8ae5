/**
 * Recycling end to end: real workers replaced for `max_memory` and
 * `max_age`, each logged with its reason; jittered `max_requests` limits
 * drawn per worker; no failed request while workers are replaced under a
 * keep-alive load. (`max_requests` under load is in `enforcement_test.ts`.)
 *
 * @module
 */
import { assert, assertEquals, assertNotEquals } from "../assert.ts";
import { assertNothingLost, fixtureApp, loadLoop, startHerd } from "./_harness.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("recycling: a worker over max_memory is replaced, logged with max_memory", async () => {
  // A fresh worker's RSS is about 52 MB; alloc.ts keeps 8 MB more per request.
  await using herd = await startHerd({
    args: [fixtureApp("alloc.ts"), "-w", "1", "--max-memory", "75", "--access-log="],
  });
  const [first] = herd.workerPids();
  const from = herd.lines.length;
  const reached = new RegExp(
    `\\(pid: ${first}\\) reached max_memory \\(\\d+\\.\\d MB RSS, limit \\d+\\.\\d MB\\): starting its replacement`,
  );
  // Bounded: at most 20 requests (160 MB), spaced so heartbeats report the growth.
  for (let i = 0; i < 20 && !herd.lines.slice(from).some((l) => reached.test(l)); i++) {
    await fetch(herd.url).then((r) => r.body?.cancel());
    await delay(250);
  }
  await herd.waitForLog(reached, { from });
  await herd.waitForLog(
    new RegExp(`\\(pid: ${first}\\) exited with code 0 \\(reason: max_memory\\)`),
    {
      from,
    },
  );
  const text = await fetch(herd.url).then((r) => r.text());
  assert(!text.endsWith(` ${first}\n`), `a fresh worker answers: ${text}`);
  assertEquals(herd.workerPids().length, 1);
});

Deno.test("recycling: max_age replaces every worker under keep-alive load, none failing", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--max-age", "2", "--access-log="],
  });
  const before = herd.workerPids();
  const from = herd.lines.length;
  const stop = new AbortController();
  const load = loadLoop(herd.url, {
    concurrency: 4,
    signal: stop.signal,
    maxRequests: 50_000,
    keepAlive: true,
  });
  try {
    for (const pid of before) {
      await herd.waitForLog(new RegExp(`\\(pid: ${pid}\\) reached max_age`), { from });
      await herd.waitForLog(
        new RegExp(`\\(pid: ${pid}\\) exited with code 0 \\(reason: max_age\\)`),
        {
          from,
        },
      );
    }
  } finally {
    stop.abort();
  }
  const result = await load;
  assert(result.ok > 0);
  assertNothingLost(result);
  assertEquals(herd.workerPids().filter((pid) => before.includes(pid)), []);
});

Deno.test("recycling: each worker draws its own jittered max_requests", async () => {
  await using herd = await startHerd({
    args: [
      fixtureApp("hello.ts"),
      ...["-w", "2", "--max-requests", "1000", "--max-requests-jitter", "1000000"],
      ...["--log-level", "debug", "--access-log="],
    ],
  });
  const limits = herd.lines
    .map((line) => /Worker \d+ \(pid: \d+\) limits: max_requests (\d+)/.exec(line)?.[1])
    .filter((n) => n !== undefined)
    .map(Number);
  assertEquals(limits.length, 2, herd.lines.join("\n"));
  for (const limit of limits) assert(limit >= 1000 && limit <= 1_001_000, String(limit));
  // Equal draws from a million values would be a one-in-a-million coincidence.
  assertNotEquals(limits[0], limits[1]);
});
