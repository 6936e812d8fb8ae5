import { assert, assertEquals } from "../assert.ts";
import { assertNothingLost, fixtureApp, loadLoop, startHerd } from "./_harness.ts";

Deno.test("enforcement: a blocked worker is aborted and replaced while another serves", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("blocking.ts"), "-w", "2", "--timeout", "2"],
  });
  const from = herd.lines.length;
  fetch(`${herd.url}/block`).then((r) => r.body?.cancel()).catch(() => {});
  const line = await herd.waitForLog(/WORKER TIMEOUT \(pid: \d+\)/, { from });
  const blocked = Number(/pid: (\d+)/.exec(line)![1]);
  const other = herd.workerPids().find((pid) => pid !== blocked)!;
  await herd.waitForLog(new RegExp(`\\(pid: ${blocked}\\) was killed by SIG(ABRT|KILL)`), { from });
  await herd.waitForLog(/listening$/, { from });
  assert(herd.workerPids().includes(other), "the other worker kept running");
  const served = await fetch(herd.url);
  await served.body?.cancel();
  assert(Number(served.headers.get("x-pid")) !== blocked);
  assertEquals(herd.workerPids().length, 2);
});

Deno.test("enforcement: max_requests recycles workers under load with zero failures", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--max-requests", "100"],
  });
  const from = herd.lines.length;
  const stop = new AbortController();
  const load = loadLoop(herd.url, {
    concurrency: 2,
    signal: stop.signal,
    maxRequests: 5000,
    keepAlive: true,
  });
  try {
    await herd.waitForLog(/reached max_requests: starting its replacement/, { from });
    await herd.waitForLog(/exited with code 0 \(reason: max_requests\)/, { from });
  } finally {
    stop.abort();
  }
  const result = await load;
  assertNothingLost(result);
});
