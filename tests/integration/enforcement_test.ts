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

Deno.test("enforcement: a worker blocked for less than timeout is never killed", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("blocking.ts"), "-w", "1", "--timeout", "3"],
  });
  const [worker] = herd.workerPids();
  // Its last heartbeat came up to 1 s before each block: silent for up to 3.75 s, blocked
  // 2.75 s. (A limit of `timeout` on the silence killed it in about 3 blocks of 4.)
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${herd.url}/block?ms=2750`);
    assertEquals(response.status, 200);
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100 + 250 * i));
  }
  assertEquals(herd.workerPids(), [worker]);
  assert(!herd.lines.some((l) => /WORKER TIMEOUT/.test(l)), herd.lines.join("\n"));
});

Deno.test("enforcement: back-to-back requests each shorter than timeout never look like a blocked worker", async () => {
  // A sync worker's queue runs its next request at once (a microtask): the heartbeat's timer
  // never came between them, and the master killed a worker blocked 1.5 s at a time.
  await using herd = await startHerd({
    args: [fixtureApp("blocking.ts"), "-w", "1", "--timeout", "2", "-k", "sync"],
  });
  const [worker] = herd.workerPids();
  const statuses = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        fetch(`${herd.url}/block?ms=1500`).then(async (r) => (await r.body?.cancel(), r.status)),
    ),
  );
  assertEquals(statuses, [200, 200, 200, 200]);
  assertEquals(herd.workerPids(), [worker]);
  assert(!herd.lines.some((l) => /WORKER TIMEOUT/.test(l)), herd.lines.join("\n"));
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
    await herd.waitForLog(
      /reached max_requests \(\d+ requests served\): starting its replacement/,
      { from },
    );
    await herd.waitForLog(/exited with code 0 \(reason: max_requests\)/, { from });
  } finally {
    stop.abort();
  }
  const result = await load;
  assertNothingLost(result);
});

Deno.test("enforcement: a sync worker whose request runs past timeout answers 503 and is replaced", async () => {
  // Gunicorn kills a sync worker at its timeout; Herd answers 503, keeps the one slot held while
  // the handler still runs (no second request beside it), and replaces the worker.
  await using herd = await startHerd({
    args: [fixtureApp("slow.ts"), "-w", "1", "-k", "sync", "--timeout", "1"],
  });
  const [worker] = herd.workerPids();
  const from = herd.lines.length;
  const res = await fetch(`${herd.url}/slow?ms=4000`);
  assertEquals(res.status, 503);
  await res.body?.cancel();
  await herd.waitForLog(
    /Worker 1 \(pid: \d+\) asks to be replaced \(a request ran past timeout and still holds its one slot\): starting its replacement/,
    { from },
  );
  await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from });
  const fast = await fetch(herd.url);
  const replacement = Number(fast.headers.get("x-pid"));
  await fast.body?.cancel();
  assert(replacement !== worker, "served by the replacement");
  await herd.waitForLog(/exited with code 0 \(reason: timeout\)/, { from, timeoutMs: 40_000 });
});
