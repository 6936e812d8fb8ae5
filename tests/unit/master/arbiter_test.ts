import { assert, assertEquals } from "../../assert.ts";
import { MAX_WORKERS } from "../../../src/settings/sections/workers.ts";
import { ExitCode, type RetireMessage } from "../../../src/ipc/protocol.ts";
import { type FakeProcess, fakeResolved, Rig } from "./_fakes.ts";
import { captureLogs } from "../../log_records.ts";
import { LAST_WORDS_MS } from "../../../src/master/worker_handle.ts";
import { nextDeadline } from "../../../src/master/deadlines.ts";
import { changesFixedSettings } from "../../../src/master/startup.ts";
import type { ExitReason, MasterContext, WorkerInfo } from "../../../src/hooks.ts";

Deno.test("arbiter starts the target number of workers and sends each its config", async () => {
  const rig = new Rig({ workers: 3 });
  await rig.start();
  assertEquals(rig.driver.spawned.map((p) => p.request.id), [1, 2, 3]);
  for (const link of rig.links.values()) {
    const config = link.sent[0];
    assert(config.type === "config");
    assertEquals(config.port, 8080);
    assert(!("on_starting" in config.settings), "hooks are not sent to workers");
  }
});

Deno.test("arbiter replaces a crashed worker at once, then backs off", async () => {
  const rig = new Rig({ workers: 1 });
  await rig.start();
  const first = rig.driver.spawned[0];
  first.exit({ code: 1, signal: null });
  await rig.until(() => rig.driver.spawned.length === 2);
  const crashedAt = rig.clock.now();
  await rig.boot(rig.driver.spawned[1]);
  rig.driver.spawned[1].exit({ code: 1, signal: null });
  await rig.until(() => rig.driver.spawned.length === 3);
  assert(rig.clock.now() - crashedAt >= 100, "the second crash in a row waits for the backoff");
  assertEquals(rig.arbiter.workforce.restarts.crash, 2);
  assertEquals(rig.driver.spawned[2].request.id, 1, "the replacement keeps the slot");
});

/** Worker `process` is SIGKILLed (by an OOM killer, say) and its link closes with it. */
function killed(rig: Rig, process: FakeProcess): void {
  process.exit({ code: 137, signal: "SIGKILL" });
  rig.arbiter.queue.push({ kind: "link_closed", link: rig.links.get(process)! });
}

Deno.test("arbiter: when a crash leaves no worker serving, the backoff does not hold the service down", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 1 });
  await rig.start();
  // Killed every 1.5 s: each lived too briefly to reset the count, which reaches 8.
  for (let kill = 1; kill <= 8; kill++) {
    const serving = rig.driver.spawned.at(-1)!;
    rig.clock.time += 1500;
    killed(rig, serving);
    const killedAt = rig.clock.now();
    await rig.until(() => rig.driver.spawned.length === kill + 1);
    assertEquals(rig.clock.now() - killedAt, 0, `kill ${kill}: replaced at once`);
    await rig.boot(rig.driver.spawned.at(-1)!);
  }
  assert(
    logs.records.some((r) =>
      r.message === "8 crashes in a row, and no worker serves: starting one now"
    ),
  );
  // One that had served for 300 ms is replaced 1 s after it became ready, not after 12.8 s:
  // an app that dies as it serves restarts at most once a second.
  rig.clock.time += 300;
  killed(rig, rig.driver.spawned.at(-1)!);
  const killedAt = rig.clock.now();
  await rig.until(() => rig.driver.spawned.length === 10);
  assertEquals(rig.clock.now() - killedAt, 700);
  assertEquals(rig.arbiter.workforce.restarts.crash, 9);
});

Deno.test("arbiter: while another worker serves, repeated crashes wait out the backoff", async () => {
  const rig = new Rig({ workers: 2 });
  await rig.start();
  const [first, second] = rig.driver.spawned;
  rig.clock.time += 1500;
  killed(rig, first);
  await rig.until(() => rig.driver.spawned.length === 3);
  await rig.boot(rig.driver.spawned[2]);
  rig.clock.time += 1500;
  killed(rig, rig.driver.spawned[2]);
  const killedAt = rig.clock.now();
  await rig.until(() => rig.driver.spawned.length === 4);
  assertEquals(rig.clock.now() - killedAt, 100, "the second crash in a row waits 100 ms");
  assert(!second.exited);
});

Deno.test("arbiter halts with WorkerBootError when a worker fails during the initial start", async () => {
  const rig = new Rig({ workers: 2 });
  await rig.until(() => rig.driver.spawned.length === 2);
  await rig.boot(rig.driver.spawned[0]);
  rig.driver.spawned[1].exit({ code: ExitCode.AppLoadError, signal: null });
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
  assertEquals(rig.driver.spawned.length, 2, "no fork loop");
  assertEquals(rig.driver.spawned[0].signals, ["SIGKILL"]);
});

Deno.test("arbiter replaces a booting worker stopped from outside, without halting", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 2 });
  await rig.until(() => rig.driver.spawned.length === 2);
  await rig.boot(rig.driver.spawned[0]);
  // `kill -TERM <pid>` of a worker still loading the app, during the master's start.
  rig.driver.spawned[1].exit({ code: 143, signal: "SIGTERM" });
  await rig.until(() => rig.driver.spawned.length === 3);
  await rig.boot(rig.driver.spawned[2]);
  assertEquals(rig.arbiter.exitCode, null, "the master serves on");
  assertEquals(rig.arbiter.workforce.restarts.signal, 1);
  assertEquals(rig.arbiter.workforce.restarts.boot_failure ?? 0, 0);
  assert(logs.records.some((r) => /while booting, not by the master/.test(r.message)));
});

Deno.test("arbiter: booting workers stopped by a signal twice, none booted, is a boot failure", async () => {
  // An app that signals itself on a fatal import error: not replaced forever.
  const rig = new Rig({ workers: 1 });
  await rig.until(() => rig.driver.spawned.length === 1);
  rig.driver.spawned[0].exit({ code: 143, signal: "SIGTERM" });
  await rig.until(() => rig.driver.spawned.length === 2);
  rig.driver.spawned[1].exit({ code: 143, signal: "SIGTERM" });
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
  assertEquals(rig.driver.spawned.length, 2, "no fork loop");
});

Deno.test("arbiter exits with WorkerBootError when a worker cannot even be started", async () => {
  // Deno.Command throws before any process exists (say, deno not executable by `user`).
  const rig = new Rig({ workers: 2 });
  rig.driver.spawn = () => {
    throw new Error("Failed to spawn '/root/deno': Permission denied");
  };
  await rig.until(() => false, 20);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
});

Deno.test("arbiter stops starting workers once one could not be started", async () => {
  const rig = new Rig({ workers: 3 });
  const spawn = rig.driver.spawn.bind(rig.driver);
  let attempts = 0;
  rig.driver.spawn = (request) => {
    if (++attempts === 2) throw new Error("Failed to spawn: Resource temporarily unavailable");
    return spawn(request);
  };
  await rig.until(() => false, 20);
  assertEquals(attempts, 2, "no worker 3 after worker 2 failed");
  assertEquals(rig.driver.spawned[0].signals, ["SIGKILL"]);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
});

Deno.test("arbiter: a spawn the master has no file descriptors for is retried every second, not backed off", async () => {
  const rig = new Rig({ workers: 1 });
  await rig.start();
  const spawn = rig.driver.spawn.bind(rig.driver);
  const attempts: number[] = [];
  let outOfFiles = true;
  rig.driver.spawn = (request) => {
    attempts.push(rig.clock.now());
    if (outOfFiles) {
      throw Object.assign(
        new Error("Failed to spawn '/usr/bin/deno': Too many open files (os error 24)"),
        { code: "EMFILE" },
      );
    }
    return spawn(request);
  };
  using logs = captureLogs("info");
  rig.driver.spawned[0].exit({ code: 137, signal: "SIGKILL" });
  // 20 s of a flood: a crash backoff would have grown to 12.8 s between attempts by then.
  await rig.until(() => rig.clock.now() >= 20_000, 1000);
  const gaps = attempts.slice(1).map((at, i) => at - attempts[i]);
  assert(gaps.length >= 19, `${attempts.length} attempts in 20 s`);
  assert(gaps.every((gap) => gap === 1000), `every 1000 ms: ${gaps}`);
  assertEquals(rig.arbiter.workforce.restarts.boot_failure ?? 0, 0, "not the worker's failure");
  outOfFiles = false;
  await rig.until(() => rig.driver.spawned.length === 2);
  await rig.boot(rig.driver.spawned[1]);
  const said = logs.records.map((r) => `${r.level} ${r.message}`)
    .filter((line) => /Cannot start|start workers again|crashes in a row/.test(line));
  assertEquals(said, [
    "error Cannot start worker 1 (Failed to spawn '/usr/bin/deno': Too many open files): the " +
    "master is out of file descriptors; trying again every 1000 ms, not counted as a crash",
    "info The master can start workers again",
  ]);
  // The crash count did not grow: the next crash in a row (reaped after its last words) waits
  // the backoff's first step.
  const crashedAt = rig.clock.now();
  rig.driver.spawned[1].exit({ code: 1, signal: null });
  await rig.until(() => rig.driver.spawned.length === 3);
  assertEquals(rig.clock.now() - crashedAt, LAST_WORDS_MS + 100);
});

Deno.test("arbiter: a spawn the system has no file descriptors for (ENFILE) says it is the system's shortage", async () => {
  // The kernel's file table is full: raising the master's own limit would not help.
  const { said } = await spawnsFailFor(
    3_000,
    "Failed to spawn '/usr/bin/deno': Too many open files in system (os error 23)",
  );
  assertEquals(said, [
    "error Cannot start worker 1 (Failed to spawn '/usr/bin/deno': Too many open files in " +
    "system): the system is out of file descriptors; trying again every 1000 ms, not counted " +
    "as a crash",
    "info The master can start workers again",
  ]);
});

Deno.test("arbiter: a spawn refused for a process limit (EAGAIN) is the master's shortage too, retried each second", async () => {
  // A container's pids.max reached by the app's own processes: fork fails with EAGAIN.
  const { said, rig } = await spawnsFailFor(
    5_000,
    "Failed to spawn '/usr/bin/deno': Resource temporarily unavailable (os error 11)",
  );
  assertEquals(rig.arbiter.workforce.restarts.boot_failure ?? 0, 0, "not the worker's failure");
  assertEquals(said, [
    "error Cannot start worker 1 (Failed to spawn '/usr/bin/deno': Resource temporarily " +
    "unavailable): a process limit is reached (ulimit -u, a container's pids.max); trying again every 1000 ms, not counted as a crash",
    "info The master can start workers again",
  ]);
});

// One worker's replacement, whose spawn throws `message` for `ms`: what the master said of it.
async function spawnsFailFor(ms: number, message: string): Promise<{ said: string[]; rig: Rig }> {
  const rig = new Rig({ workers: 1 });
  await rig.start();
  const spawn = rig.driver.spawn.bind(rig.driver);
  let failing = true;
  rig.driver.spawn = (request) => {
    if (failing) throw new Error(message);
    return spawn(request);
  };
  using logs = captureLogs("info");
  rig.driver.spawned[0].exit({ code: 137, signal: "SIGKILL" });
  await rig.until(() => rig.clock.now() >= ms, 1000);
  failing = false;
  await rig.until(() => rig.driver.spawned.length === 2);
  const said = logs.records.map((r) => `${r.level} ${r.message}`)
    .filter((line) => /Cannot start|start workers again|crashes in a row/.test(line));
  return { said, rig };
}

Deno.test("arbiter: out of file descriptors again after a TTOU took the slot it could not fill, it says so", async () => {
  const rig = new Rig({ workers: 2 });
  await rig.start();
  rig.driver.spawn = () => {
    throw new Error("Failed to spawn '/usr/bin/deno': Too many open files (os error 24)");
  };
  using logs = captureLogs("info");
  const cannot = () => logs.records.filter((r) => r.message.startsWith("Cannot start worker"));
  rig.driver.spawned[1].exit({ code: 137, signal: "SIGKILL" });
  await rig.until(() => cannot().length === 1);
  // Slot 2 is no longer wanted: its retries end, and with them that episode.
  await rig.signal("SIGTTOU");
  await rig.until(() => rig.clock.now() >= 20_000, 1000);
  rig.driver.spawned[0].exit({ code: 137, signal: "SIGKILL" });
  await rig.until(() => cannot().length === 2);
  assertEquals(cannot().map((r) => r.message.slice(0, 21)), [
    "Cannot start worker 2",
    "Cannot start worker 1",
  ]);
});

Deno.test("arbiter treats a worker that never reports ready as a boot failure", async () => {
  const rig = new Rig({ workers: 1, settings: { boot_timeout: 5 } });
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
  assert(rig.clock.now() >= 5000);
});

Deno.test("arbiter recycles with surge: the replacement is ready before the old one drains", async () => {
  const rig = new Rig({ workers: 1, settings: { max_requests: 10 } });
  await rig.start();
  const old = rig.driver.spawned[0];
  await rig.beat(old, 10);
  await rig.until(() => rig.driver.spawned.length === 2);
  const oldLink = rig.links.get(old)!;
  assertEquals(oldLink.sent.map((f) => f.type), ["config"], "no drain before the surge is ready");
  await rig.boot(rig.driver.spawned[1]);
  assertEquals(oldLink.sent.map((f) => f.type), ["config", "drain"]);
  const drain = oldLink.sent[1];
  assert(drain.type === "drain");
  assertEquals(drain.reason, "max_requests");
  assertEquals(rig.arbiter.workforce.restarts.max_requests, 1);
});

Deno.test("arbiter aborts a silent worker and spawns a replacement", async () => {
  const rig = new Rig({ workers: 2, settings: { timeout: 3 } });
  await rig.start();
  const [blocked, healthy] = rig.driver.spawned;
  for (let i = 0; i < 4; i++) {
    rig.clock.time += 1000;
    await rig.beat(healthy, i);
  }
  // Silent 4 s with timeout 3: possibly blocked for only 3 s (its last heartbeat just before).
  assertEquals(blocked.signals, []);
  rig.clock.time += 1000;
  await rig.beat(healthy, 4);
  assertEquals(blocked.signals, ["SIGABRT"]);
  assertEquals(healthy.signals, []);
  await rig.until(() => rig.driver.spawned.length === 3);
  await rig.until(() => blocked.exited);
  assertEquals(blocked.signals, ["SIGABRT", "SIGKILL"], "SIGKILL follows when SIGABRT is ignored");
  assertEquals(rig.arbiter.workforce.restarts.timeout, 1);
});

Deno.test("a slow master hook is not blamed on workers whose heartbeats it kept unread", async () => {
  // pre_fork holds the master 10 s (timeout 3) while the workers go on sending heartbeats.
  const rig: Rig = new Rig({
    workers: 2,
    settings: {
      timeout: 3,
      pre_fork: () => {
        for (const p of rig.driver.alive()) if (rig.links.has(p)) rig.queueBeat(p, 0);
        rig.clock.time += 10_000;
      },
    },
  });
  await rig.start();
  await rig.signal("SIGTTIN");
  await rig.until(() => rig.driver.spawned.length === 3 && rig.arbiter.queue.pending === 0);
  for (const p of rig.driver.spawned.slice(0, 2)) assertEquals(p.signals, [], `pid ${p.pid}`);
  assertEquals(rig.arbiter.workforce.restarts.timeout ?? 0, 0);
});

Deno.test("a hook that blocks the master is not blamed on workers whose frames were unread", async () => {
  // nworkers_changed busy-loops 3 s (timeout 2): the heartbeats stay in the sockets until the
  // master's next turn, so it must take that turn before judging anyone.
  const rig: Rig = new Rig({
    workers: 2,
    settings: { timeout: 2, nworkers_changed: () => void (rig.clock.time += 3000) },
  });
  await rig.start();
  const [first, second] = rig.driver.spawned;
  await rig.signal("SIGTTIN");
  rig.queueBeat(first, 0);
  rig.queueBeat(second, 0);
  await rig.until(() => rig.arbiter.queue.pending === 0);
  assertEquals([first.signals, second.signals], [[], []]);
});

Deno.test("a paused master (SIGSTOP, a frozen VM) does not blame its silence on the workers", async () => {
  const rig = new Rig({ workers: 2, settings: { timeout: 3 } });
  await rig.start();
  const workers = rig.driver.spawned.slice(0, 2);
  using logs = captureLogs();
  // The master sleeps 8 s past its deadline; the heartbeats sent meanwhile are still unread.
  const next = rig.arbiter.queue.next.bind(rig.arbiter.queue);
  rig.arbiter.queue.next = (deadline) => {
    rig.clock.time = deadline + 8000;
    return Promise.resolve(null);
  };
  await rig.arbiter.step();
  rig.arbiter.queue.next = next;
  for (const p of workers) rig.queueBeat(p, 1);
  await rig.until(() => rig.arbiter.queue.pending === 0);
  for (let i = 0; i < 3; i++) {
    rig.clock.time += 1000;
    for (const p of workers) await rig.beat(p, 2 + i);
  }
  for (const p of workers) assertEquals(p.signals, [], `pid ${p.pid}`);
  assertEquals(rig.arbiter.workforce.restarts.timeout ?? 0, 0);
  assert(logs.records.some((r) => /did not run for \d+ s \(paused\?\)/.test(r.message)));
  // A worker that stays silent after the pause is still found out.
  for (let i = 0; i < 5; i++) {
    rig.clock.time += 1000;
    await rig.beat(workers[1], 10 + i);
  }
  assertEquals(workers[0].signals, ["SIGABRT"]);
});

Deno.test("boot_timeout runs from the worker's configuration, not from a spawn a hook delayed", async () => {
  // post_fork holds the master 3 s per worker: worker 1's hello is read 6 s after its spawn.
  const rig: Rig = new Rig({
    workers: 2,
    settings: { boot_timeout: 5, post_fork: () => void (rig.clock.time += 3000) },
  });
  await rig.until(() => rig.driver.spawned.length === 2);
  const [first, second] = rig.driver.spawned;
  const ready = (p: typeof first) =>
    rig.arbiter.queue.push({
      kind: "message",
      link: rig.links.get(p)!,
      message: { type: "ready", addresses: [], readsRequest: true },
    });
  rig.hello(first);
  await rig.arbiter.step();
  rig.hello(second);
  await rig.arbiter.step();
  rig.clock.time += 4000; // importing the app
  ready(first);
  ready(second);
  await rig.until(() => rig.arbiter.queue.pending === 0);
  assertEquals([first.signals, second.signals], [[], []]);
  assertEquals([...rig.arbiter.workforce.workers.values()].map((w) => w.state), ["ready", "ready"]);
});

Deno.test("a draining worker that goes silent is aborted at timeout, not left to graceful_timeout", async () => {
  using logs = captureLogs("info");
  // Blocked while draining, its listener would take connections it never answers for 30 s.
  const rig = new Rig({
    workers: 1,
    settings: { max_requests: 10, timeout: 3, graceful_timeout: 30 },
  });
  await rig.start();
  const old = rig.driver.spawned[0];
  const fresh = await rig.recycle(old, 10);
  assertEquals(rig.links.get(old)!.sent.at(-1)?.type, "drain");
  // Still heartbeating while it finishes its requests: left alone.
  for (let i = 0; i < 4; i++) {
    rig.clock.time += 1000;
    await rig.beat(old, 10);
    await rig.beat(fresh, i);
  }
  assertEquals(old.signals, []);
  // Then silent: aborted once the silence passes timeout (and a heartbeat period).
  for (let i = 0; i < 5; i++) {
    rig.clock.time += 1000;
    await rig.beat(fresh, 4 + i);
  }
  assertEquals(old.signals, ["SIGABRT"]);
  assertEquals(fresh.signals, []);
  assert(rig.clock.now() < 30_000);
  // Counted once, under the reason it was leaving for; its exit line says it hung, and what it
  // served in all.
  old.exit({ code: 134, signal: "SIGABRT" });
  await rig.until(() => logs.records.some((r) => /was killed by SIGABRT/.test(r.message)));
  assert(
    logs.records.some((r) =>
      r.message.endsWith("(reason: max_requests; it hung and was aborted), 10 requests served")
    ),
  );
  assertEquals(rig.arbiter.workforce.restarts.max_requests, 1);
});

Deno.test("a worker blocked during a stop is aborted at timeout too", async () => {
  const rig = new Rig({ workers: 1, settings: { timeout: 3, graceful_timeout: 30 } });
  await rig.start();
  await rig.signal("SIGTERM");
  for (let i = 0; i < 5 && rig.driver.spawned[0].signals.length === 0; i++) {
    rig.clock.time += 1000;
    await rig.arbiter.step();
  }
  assertEquals(rig.driver.spawned[0].signals, ["SIGABRT"]);
});

Deno.test("arbiter drains every worker on SIGTERM and exits 0 once they are gone", async () => {
  const rig = new Rig({ workers: 2 });
  await rig.start();
  await rig.signal("SIGTERM");
  for (const [process, link] of rig.links) {
    assertEquals(link.sent.at(-1)?.type, "drain");
    process.exit();
  }
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, 0);
});

Deno.test("a stop does not wait graceful_timeout for a worker still booting: it is killed", async () => {
  const rig = new Rig({ workers: 2, settings: { graceful_timeout: 30 } });
  await rig.until(() => rig.driver.spawned.length === 2);
  const [ready, booting] = rig.driver.spawned;
  await rig.boot(ready);
  rig.hello(booting); // configured, still importing its app
  await rig.until(() => rig.arbiter.queue.pending === 0);
  await rig.signal("SIGTERM");
  assertEquals(booting.signals, ["SIGTERM"]);
  assertEquals(ready.signals, []);
  assertEquals(rig.links.get(ready)!.sent.at(-1)?.type, "drain");
  booting.exit();
  ready.exit();
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, 0);
  assert(rig.clock.now() < 30_000);
});

Deno.test("arbiter kills workers still draining after graceful_timeout", async () => {
  const rig = new Rig({ workers: 1, settings: { graceful_timeout: 2 } });
  await rig.start();
  await rig.signal("SIGTERM");
  await rig.until(() => false);
  assertEquals(rig.driver.spawned[0].signals, ["SIGKILL"]);
  assert(rig.clock.now() >= 2000);
  assertEquals(rig.arbiter.exitCode, 0);
});

Deno.test("arbiter scales with TTIN and TTOU, never below one worker", async () => {
  const rig = new Rig({ workers: 1 });
  await rig.start();
  await rig.signal("SIGTTIN");
  assertEquals(rig.driver.spawned.length, 2);
  await rig.boot(rig.driver.spawned[1]);
  await rig.signal("SIGTTOU");
  assertEquals(rig.links.get(rig.driver.spawned[1])!.sent.at(-1)?.type, "drain");
  await rig.signal("SIGTTOU");
  assertEquals(rig.arbiter.target, 1);
  assertEquals(rig.arbiter.workforce.restarts.scale_down, 1, "counted, as /metrics lists it");
});

Deno.test("arbiter reloads one worker at a time and keeps the old ones when a new one fails", async () => {
  const resolved = fakeResolved();
  const rig = new Rig({
    workers: 2,
    resolved,
    effects: { reloadConfig: () => Promise.resolve({ ok: true, resolved, workers: 2 }) },
  });
  await rig.start();
  await rig.signal("SIGHUP");
  assertEquals(rig.driver.spawned.length, 3, "one surge at a time");
  const surge = rig.driver.spawned[2];
  await rig.boot(surge);
  assertEquals(rig.links.get(rig.driver.spawned[0])!.sent.at(-1)?.type, "drain");
  await rig.until(() => rig.driver.spawned.length === 4);
  rig.driver.spawned[3].exit({ code: ExitCode.AppLoadError, signal: null });
  await rig.until(() => rig.driver.spawned[3].exited);
  await rig.arbiter.step();
  const old = rig.driver.spawned[1];
  assertEquals(
    rig.links.get(old)!.sent.map((f) => f.type),
    ["config"],
    "the old worker keeps serving",
  );
  assertEquals(rig.arbiter.exitCode, null);
  assertEquals(rig.driver.spawned.length, 4, "no retry loop after an abandoned reload");
  // Counted once its exit is reaped (after its last words, or LAST_WORDS_MS).
  await rig.until(() => rig.arbiter.workforce.restarts.boot_failure === 1);
  assertEquals(rig.arbiter.workforce.restarts.crash ?? 0, 0);
});

Deno.test("arbiter: a reload refused before reading (short of file descriptors) is postponed: one line, retried quietly until it goes through", async () => {
  let refusals = 3;
  const reads: number[] = [];
  const rig = new Rig({
    workers: 2,
    effects: {
      reloadConfig: () => {
        reads.push(rig.clock.now());
        if (refusals-- > 0) {
          return Promise.resolve({ ok: false, refused: "out of file descriptors" });
        }
        return Promise.resolve({ ok: true, resolved: fakeResolved(), workers: 2 });
      },
    },
  });
  await rig.start();
  using logs = captureLogs("info");
  await rig.signal("SIGHUP");
  await rig.until(() => reads.length === 1 && rig.arbiter.queue.pending === 0);
  assertEquals(rig.driver.spawned.length, 2, "no new generation while refused");
  assertEquals(rig.arbiter.workforce.generation, 0);
  // A HUP meanwhile is said, and tried at once.
  await rig.signal("SIGHUP");
  await rig.until(() => reads.length === 2 && rig.arbiter.queue.pending === 0);
  // Tried again each second, quietly, and done once the master can read the files.
  await rig.until(() => rig.arbiter.workforce.generation === 1, 1000);
  const gaps = reads.slice(1).map((at, i) => at - reads[i]);
  assertEquals(gaps.length, 3);
  assert(gaps.slice(1).every((gap) => gap >= 1000 && gap <= 1100), `about every 1000 ms: ${gaps}`);
  assertEquals(
    logs.records.filter((r) => /[Rr]eload/.test(r.message)).map((r) => `${r.level} ${r.message}`),
    [
      "info Reloading the configuration",
      "error Reload postponed: out of file descriptors; the running configuration and workers are kept meanwhile; trying again every 1000 ms",
      "info Reload requested: one is postponed already; trying now",
      "info Reloading the configuration (postponed for lack of file descriptors)",
    ],
  );
});

Deno.test("arbiter rolls back the workers a failed reload had already replaced", async () => {
  const resolved = fakeResolved();
  const next = fakeResolved({ timeout: 99 });
  const rig = new Rig({
    workers: 2,
    resolved,
    effects: { reloadConfig: () => Promise.resolve({ ok: true, resolved: next, workers: 2 }) },
  });
  await rig.start();
  await rig.signal("SIGHUP");
  const surge = rig.driver.spawned[2];
  assertEquals(surge.request.resolved, next);
  await rig.boot(surge);
  await rig.until(() => rig.driver.spawned.length === 4);
  rig.driver.spawned[3].exit({ code: ExitCode.AppLoadError, signal: null });
  // The new-generation worker that already serves is replaced by one of the old configuration.
  await rig.until(() => rig.driver.spawned.length === 5);
  const back = rig.driver.spawned[4];
  assertEquals(back.request.resolved, resolved);
  await rig.boot(back);
  await rig.until(() => rig.links.get(surge)!.sent.some((f) => f.type === "drain"));
  assertEquals(rig.driver.spawned.length, 5);
});

Deno.test("arbiter reports a boot error that arrives after the worker's exit", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 1 });
  await rig.until(() => rig.driver.spawned.length === 1);
  const process = rig.driver.spawned[0];
  const link = rig.hello(process);
  await rig.arbiter.step();
  // The exit is seen first; the frame the worker sent before exiting, and its channel's end, after.
  process.exit({ code: ExitCode.AppLoadError, signal: null });
  await rig.arbiter.step();
  assertEquals(rig.arbiter.exitCode, null, "the exit waits for the worker's last frames");
  rig.arbiter.queue.push({
    kind: "message",
    link,
    message: {
      type: "boot_error",
      code: ExitCode.AppLoadError,
      message: "app.ts: no default export",
    },
  });
  rig.arbiter.queue.push({ kind: "link_closed", link });
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
  const errors = logs.records.filter((r) => r.level === "error").map((r) => r.message);
  assert(
    errors.some((m) => /failed to boot: app\.ts: no default export$/.test(m)),
    errors.join("\n"),
  );
});

Deno.test("a serving worker's final heartbeat counts even when its exit is seen first", async () => {
  const rig = new Rig({ workers: 1, settings: { max_requests: 10 } });
  await rig.start();
  const old = rig.driver.spawned[0];
  await rig.recycle(old, 10);
  // Drained, it sends its last counts and exits; the exit reaches the master first.
  old.exit({ code: 0, signal: null });
  await rig.arbiter.step();
  rig.queueBeat(old, 12);
  rig.arbiter.queue.push({ kind: "link_closed", link: rig.links.get(old)! });
  await rig.until(() => rig.arbiter.workforce.workers.size === 1);
  assertEquals(rig.arbiter.workforce.retired.served, 12);
});

Deno.test("a worker that served one request says '1 request served', not '1 requests served'", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 1, settings: { max_requests: 1 } });
  await rig.start();
  const old = rig.driver.spawned[0];
  await rig.recycle(old, 1);
  old.exit({ code: 0, signal: null });
  await rig.until(() => rig.arbiter.workforce.workers.size === 1);
  const said = logs.records.map((r) => r.message).filter((m) => /served/.test(m));
  assertEquals(said.length, 2, said.join("\n"));
  assert(said[0].includes("reached max_requests (1 request served)"), said[0]);
  assert(said[1].endsWith("(reason: max_requests), 1 request served"), said[1]);
});

Deno.test("a max_memory below a fresh worker's RSS is one warning, not endless replacements", async () => {
  using logs = captureLogs("warning");
  const rig = new Rig({ workers: 1, settings: { max_memory: 30 } });
  await rig.start();
  const [worker] = rig.driver.spawned;
  for (let i = 0; i < 5; i++) {
    rig.clock.time += 1000;
    rig.queueBeat(worker, 0, 40 * 1024 * 1024);
    await rig.arbiter.step();
  }
  assertEquals(rig.driver.spawned.length, 1, "no replacement");
  assertEquals(logs.records.map((r) => r.message), [
    '"max_memory" is 30 MB, below what a worker weighs before serving (40 MB): workers that start over it are not recycled for memory; raise it',
  ]);
});

Deno.test("arbiter reports an exit without last words after LAST_WORDS_MS", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 1 });
  await rig.until(() => rig.driver.spawned.length === 1);
  const diedAt = rig.clock.now();
  rig.driver.spawned[0].exit({ code: 1, signal: null }); // died before it connected
  await rig.arbiter.step();
  assertEquals(rig.arbiter.workforce.workers.size, 1, "held for its last frames first");
  await rig.until(() => false);
  assertEquals(rig.arbiter.exitCode, ExitCode.WorkerBootError);
  assert(rig.clock.now() - diedAt >= LAST_WORDS_MS);
  const errors = logs.records.filter((r) => r.level === "error").map((r) => r.message);
  assert(errors.some((m) => /failed to boot: exited with code 1$/.test(m)), errors.join("\n"));
});

Deno.test("arbiter upgrades (USR2) only while running: not while starting or stopping", async () => {
  let upgrades = 0;
  const rig = new Rig({ workers: 1, effects: { upgrade: () => Promise.resolve(void upgrades++) } });
  await rig.until(() => rig.driver.spawned.length === 1);
  await rig.signal("SIGUSR2");
  assertEquals(upgrades, 0, "ignored while starting");
  await rig.boot(rig.driver.spawned[0]);
  await rig.signal("SIGUSR2");
  assertEquals(upgrades, 1);
  await rig.signal("SIGTERM");
  await rig.signal("SIGUSR2");
  assertEquals(upgrades, 1, "ignored while stopping: a new master would outlive the stop");
});

Deno.test("arbiter runs a HUP that came during a reload once that reload ends", async () => {
  let reads = 0;
  const rig = new Rig({
    workers: 1,
    effects: {
      reloadConfig: () => {
        reads++;
        return Promise.resolve({ ok: true, resolved: fakeResolved(), workers: 1 });
      },
    },
  });
  await rig.start();
  await rig.signal("SIGHUP");
  assertEquals(reads, 1);
  await rig.signal("SIGHUP");
  assertEquals(reads, 1, "not while the first runs");
  await rig.boot(rig.driver.spawned[1]);
  // The first reload completes; the second reads the configuration again.
  await rig.until(() => reads === 2);
  await rig.until(() => rig.driver.spawned.length === 3);
});

Deno.test("arbiter replaces a worker that exited 0 unasked without counting a crash", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 1 });
  await rig.start();
  rig.driver.spawned[0].exit({ code: 0, signal: null });
  await rig.until(() => rig.driver.spawned.length === 2);
  assertEquals(rig.arbiter.workforce.restarts.crash ?? 0, 0);
  assert(
    logs.records.some((r) => r.level === "warning" && /without being asked to/.test(r.message)),
  );
  assert(!logs.records.some((r) => r.level === "error"));
});

Deno.test("arbiter keeps a TTIN sent during a reload that is then abandoned", async () => {
  using logs = captureLogs("info");
  const resolved = fakeResolved();
  const rig = new Rig({
    workers: 1,
    resolved,
    effects: { reloadConfig: () => Promise.resolve({ ok: true, resolved, workers: 1 }) },
  });
  await rig.start();
  await rig.signal("SIGHUP");
  await rig.signal("SIGTTIN");
  assertEquals(rig.arbiter.target, 2);
  const surge = rig.driver.spawned.find((p) => p.request.id === 1 && p !== rig.driver.spawned[0])!;
  surge.exit({ code: ExitCode.AppLoadError, signal: null });
  await rig.until(() => logs.records.some((r) => r.message.startsWith("Reload abandoned")));
  assertEquals(rig.arbiter.target, 2, "the reload is abandoned, the added worker stays");
});

Deno.test("nextDeadline waits for the heartbeat check a short timeout allows, never in the past", async () => {
  // timeout 0.5 s: a worker counts as blocked only after 2.5 s of silence; waking at 0.5 s
  // and every turn after made the master spin and miss the heartbeats.
  const rig = new Rig({ workers: 1, settings: { timeout: 0.5 } });
  await rig.start();
  const now = rig.clock.now();
  const lastSeen = [...rig.arbiter.workforce.workers.values()][0].lastSeen;
  // The loop's one-second tick, not lastSeen + 501.
  assertEquals(
    nextDeadline(rig.arbiter.workforce, { now, refillAt: 0 }),
    Math.min(now + 1000, lastSeen + 2501),
  );
  assertEquals(
    nextDeadline(rig.arbiter.workforce, { now: lastSeen + 2000, refillAt: 0 }),
    lastSeen + 2501,
  );
  const later = lastSeen + 10_000;
  assert(nextDeadline(rig.arbiter.workforce, { now: later, refillAt: 0 }) > later);
});

Deno.test("nextDeadline: a worker killed at boot_timeout waits for its SIGKILL, no spin", async () => {
  // Its boot deadline has passed: taken as a deadline still, the loop woke every 5 ms.
  const rig = new Rig({ workers: 1, settings: { boot_timeout: 5 } });
  await rig.until(() => rig.driver.spawned[0]?.signals.includes("SIGKILL") ?? false);
  const now = rig.clock.now();
  const [w] = rig.arbiter.workforce.workers.values();
  assertEquals(
    nextDeadline(rig.arbiter.workforce, { now, refillAt: 0 }),
    Math.min(now + 1000, w.killAt!),
  );
});

Deno.test("changesFixedSettings() compares binds by the addresses they give", () => {
  const before = { ...fakeResolved().settings, port: 9000 };
  assertEquals(changesFixedSettings(before, { ...before, bind: ["127.0.0.1:9000"] }), null);
  assertEquals(changesFixedSettings(before, { ...before, bind: ["localhost:9000"] }), null);
  assertEquals(
    changesFixedSettings(before, { ...before, bind: ["127.0.0.1:9001"] })?.startsWith(
      '"bind" changed',
    ),
    true,
  );
  assertEquals(
    changesFixedSettings(before, { ...before, user: "www-data" })?.startsWith('"user"'),
    true,
  );
  const other: typeof before = { ...before, timeout: 5 };
  assertEquals(changesFixedSettings(before, other), null, "what a reload may change");
});

Deno.test("arbiter takes two SIGINTs within 500 ms as one Ctrl-C (a wrapper forwards its own copy)", async () => {
  const rig = new Rig({ workers: 1 });
  await rig.start();
  // Keep the worker from exiting at once, so the quick stop is still under way.
  rig.driver.spawned[0].kill = () => {};
  await rig.signal("SIGINT");
  await rig.signal("SIGINT");
  assertEquals(rig.arbiter.exitCode, null, "the second copy is not a second Ctrl-C");
  rig.clock.time += 600;
  await rig.signal("SIGINT");
  assertEquals(rig.arbiter.exitCode, ExitCode.Error, "a real second Ctrl-C forces the exit");
});

/**
 * One worker asks to be replaced for `reason`: its replacement starts first, while it serves
 * on, then it is drained. Returns the rig and the replacement, ready and serving.
 */
async function replacedFirst(
  reason: RetireMessage["reason"],
): Promise<{ rig: Rig; retire: (process: FakeProcess) => void; replacement: FakeProcess }> {
  const rig = new Rig({ workers: 1 });
  await rig.start();
  const retire = (process: FakeProcess) =>
    rig.arbiter.queue.push({
      kind: "message",
      link: rig.links.get(process)!,
      message: { type: "retire", why: `a test's ${reason}`, reason },
    });
  const [first] = rig.driver.spawned;
  retire(first);
  await rig.until(() => rig.driver.spawned.length === 2);
  assertEquals(first.signals, [], "it serves on until its replacement is ready");
  const replacement = rig.driver.spawned[1];
  await rig.boot(replacement);
  await rig.until(() => rig.links.get(first)!.sent.at(-1)?.type === "drain");
  return { rig, retire, replacement };
}

Deno.test("a worker asking to be replaced is, replacement first; one that asks again at once waits out the crash backoff", async () => {
  const { rig, retire, replacement } = await replacedFirst("crash");
  // The replacement fails at once too: its own replacement is held back (100 ms, doubling).
  retire(replacement);
  await rig.until(() => rig.arbiter.queue.pending === 0);
  await rig.arbiter.step();
  assertEquals(rig.driver.spawned.length, 2, "no replacement before the backoff");
  rig.clock.time += 150;
  await rig.until(() => rig.driver.spawned.length === 3);
  assertEquals(rig.arbiter.workforce.restarts.crash, 1);
});

Deno.test("a sync worker whose request ran past timeout is replaced, replacement first, with no backoff", async () => {
  const { rig, retire, replacement } = await replacedFirst("timeout");
  // Its replacement hangs too, at once: replaced at once, the timeout paces it.
  retire(replacement);
  await rig.until(() => rig.driver.spawned.length === 3);
  assertEquals(rig.arbiter.workforce.restarts.timeout, 1);
  assertEquals(rig.arbiter.workforce.restarts.crash ?? 0, 0);
});

Deno.test("a stop over a stop, or over a reload's drain, calls worker_exit once per worker and keeps its first reason", async () => {
  const exits: string[] = [];
  const aborts: number[] = [];
  const rig: Rig = new Rig({
    workers: 1,
    settings: {
      timeout: 1,
      graceful_timeout: 30,
      worker_abort: (_m: MasterContext, w: WorkerInfo) => void aborts.push(w.pid),
      worker_exit: (_m: MasterContext, w: WorkerInfo, why: ExitReason) =>
        void exits.push(`${w.pid}:${why}`),
    } as never,
    effects: {
      reloadConfig: () =>
        Promise.resolve({ ok: true, resolved: rig.arbiter.workforce.resolved, workers: 1 }),
    },
  });
  await rig.start();
  const old = rig.driver.spawned[0];
  await rig.signal("SIGHUP");
  await rig.until(() => rig.driver.spawned.length === 2);
  const fresh = rig.driver.spawned[1];
  await rig.boot(fresh);
  // The old worker drains for the reload, then goes silent: aborted once for timeout.
  for (let i = 0; i < 50 && aborts.length === 0; i++) {
    rig.queueBeat(fresh, 0);
    rig.clock.time += 200;
    await rig.arbiter.step();
  }
  assertEquals(aborts, [old.pid]);
  await rig.signal("SIGTERM");
  await rig.signal("SIGINT");
  for (let i = 0; i < 10; i++) {
    rig.queueBeat(fresh, 0);
    rig.clock.time += 100;
    await rig.arbiter.step();
  }
  assertEquals(aborts, [old.pid], "an aborted worker is not judged again");
  assertEquals(old.signals.filter((s) => s === "SIGABRT"), ["SIGABRT"]);
  assertEquals(exits, [`${old.pid}:reload`, `${fresh.pid}:shutdown`]);
});

Deno.test("an effect that throws is logged and the master serves on", async () => {
  const rig = new Rig({
    workers: 1,
    effects: { upgrade: () => Promise.reject(new Error("Failed to spawn: No such file")) },
  });
  await rig.start();
  using logs = captureLogs();
  await rig.signal("SIGUSR2");
  assert(
    logs.records.some((r) =>
      r.message.includes("Failed to handle SIGUSR2: Error: Failed to spawn")
    ),
  );
  assertEquals(rig.arbiter.exitCode, null);
  assertEquals(rig.driver.alive().length, 1);
});

Deno.test("a USR2's new master that ends is taken back from only while this master serves on", async () => {
  const takenBack: number[] = [];
  const rig = new Rig({
    workers: 1,
    effects: { takeBack: (status) => Promise.resolve(void takenBack.push(status.code)) },
  });
  await rig.start();
  const ended = (code: number) =>
    rig.arbiter.queue.push({
      kind: "successor_exited",
      status: { success: code === 0, code, signal: null },
    });
  ended(4);
  await rig.until(() => rig.arbiter.queue.pending === 0);
  assertEquals(takenBack, [4], "a failed new master: taken back");
  // It took over: its TERM came first, and this master stops rather than take anything back.
  await rig.signal("SIGTERM");
  ended(0);
  await rig.until(() => rig.arbiter.queue.pending === 0);
  assertEquals(takenBack, [4]);
});

Deno.test("arbiter: TTIN stops at the workers setting's bound, with a line", async () => {
  using logs = captureLogs("info");
  const rig = new Rig({ workers: 1 });
  await rig.start();
  rig.arbiter.target = MAX_WORKERS;
  await rig.signal("SIGTTIN");
  assertEquals(rig.arbiter.target, MAX_WORKERS);
  assert(
    logs.records.some((r) =>
      r.message === `Not adding a worker: ${MAX_WORKERS} is the most (workers)`
    ),
  );
});
