import { assert, assertEquals, assertMatch, assertNotEquals } from "../assert.ts";
import {
  exhaustMasterFiles,
  fixtureApp,
  freePort,
  HAVE_PRLIMIT,
  isAlive,
  restartCounts,
  startHerd,
  until,
} from "./_harness.ts";
import { connectChannel } from "../../src/ipc/channel.ts";

Deno.test("supervision: a SIGKILLed worker is replaced and logged with its signal", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  const [victim, survivor] = herd.workerPids();
  const from = herd.lines.length;
  Deno.kill(victim, "SIGKILL");
  await herd.waitForLog(new RegExp(`\\(pid: ${victim}\\) was killed by SIGKILL`), { from });
  await herd.waitForLog(/Booting worker \d+ \(pid: \d+/, { from });
  await herd.waitForLog(/listening$/, { from });
  const now = herd.workerPids();
  assertEquals(now.length, 2);
  assert(now.includes(survivor));
  assert(!now.includes(victim));
  assertEquals((await fetch(herd.url).then((r) => r.text())).startsWith("hello from"), true);
});

Deno.test("supervision: a crashing worker is replaced, logged with its exit code", async () => {
  await using herd = await startHerd({ args: [fixtureApp("exit_on_request.ts"), "-w", "1"] });
  const [before] = herd.workerPids();
  const from = herd.lines.length;
  await fetch(`${herd.url}/exit`).then((r) => r.body?.cancel()).catch(() => {});
  await herd.waitForLog(new RegExp(`\\(pid: ${before}\\) exited with code 1`), { from });
  await herd.waitForLog(/listening$/, { from });
  assertNotEquals(herd.workerPids()[0], before);
});

Deno.test("supervision: after kill -9 of the master the workers finish what is in flight, then exit and free the port", async () => {
  await using herd = await startHerd({ args: [fixtureApp("slow.ts"), "-w", "2"] });
  const workers = herd.workerPids();
  assertEquals(workers.length, 2);
  const inFlight = fetch(`${herd.url}/slow?ms=1500`).then(async (r) => [r.status, await r.text()]);
  await herd.waitForLog(/slow request started in \d+/);
  herd.kill("SIGKILL");
  await herd.waitForExit();
  const [status, body] = await inFlight;
  assertEquals(status, 200, "answered, not cut");
  assertMatch(String(body), /^slow done by \d+/);
  await until(() => workers.every((pid) => !isAlive(pid)), 5000, "workers to exit");
  Deno.listen({ hostname: "127.0.0.1", port: herd.port }).close();
  // Each says so once, whichever of stdin, the parent pid and the channel noticed first.
  const gone = () =>
    herd.lines.filter((l) =>
      /the master is gone; finishing the requests in flight, then exiting$/.test(l)
    );
  await until(() => gone().length >= 2, 2000, "each worker's line");
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(gone().length, 2, gone().join("\n"));
});

Deno.test("supervision: a master started again at once after kill -9 of the last one waits for its workers to free the port, then serves", async () => {
  await using first = await startHerd({ args: [fixtureApp("slow.ts"), "-w", "2"] });
  const inFlight = fetch(`${first.url}/slow?ms=1500`).then((r) => r.text());
  await first.waitForLog(/slow request started in \d+/);
  first.kill("SIGKILL");
  // As a supervisor (systemd's Restart=, a shell loop) would, at once: the old workers still
  // listen while they drain (the first's exit is not awaited, its pipes are theirs too).
  await using second = await startHerd({
    port: first.port,
    args: [fixtureApp("slow.ts"), "-w", "2"],
    waitReady: false,
  });
  await second.waitForLog(/Ready: 2 workers listening/, { timeoutMs: 10_000 });
  assertMatch(await inFlight, /^slow done by \d+/);
  const served = await fetch(`${second.url}/slow?ms=1`).then((r) => r.text());
  assertMatch(served, /^slow done by \d+/);
});

Deno.test("supervision: after kill -9 of the master, workers still loading the app exit too", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("slow_import.ts"), "-w", "2", "--no-preload", "--boot-timeout", "60"],
    env: { HERD_TEST_IMPORT_MS: "never" },
    waitReady: false,
  });
  await until(
    () => herd.lines.filter((l) => l.startsWith("slow_import: loading")).length === 2,
    10_000,
    "two workers loading the app",
  );
  const workers = herd.workerPids();
  herd.kill("SIGKILL");
  await herd.waitForExit();
  await until(() => workers.every((pid) => !isAlive(pid)), 3000, "loading workers to exit");
});

Deno.test("supervision: a stray rejection is logged and served past; an uncaught error replaces the worker without cutting off its requests", async () => {
  await using herd = await startHerd({ args: [fixtureApp("uncaught.ts"), "-w", "1"] });
  const [first] = herd.workerPids();
  const get = (path: string) => fetch(`${herd.url}${path}`).then((r) => r.text());
  let from = herd.lines.length;
  await get("/reject");
  await herd.waitForLog(
    /\[ERROR\] Unhandled promise rejection, the worker serves on: RangeError: database went away \(at .*uncaught\.ts:\d+:\d+\)\)?$/,
    { from },
  );
  // At most one line per 10 s: the next ones are counted into the one after.
  await get("/reject");
  await get("/reject");
  assertEquals(
    herd.lines.slice(from).filter((l) => /Unhandled promise rejection/.test(l)).length,
    1,
  );
  assertEquals(herd.workerPids(), [first], "the same worker serves on");

  // A request in flight when the error comes is answered: the worker is drained once its
  // replacement is ready (Deno's default, ending the process, cut it off).
  from = herd.lines.length;
  const slow = get("/slow");
  await new Promise((r) => setTimeout(r, 100));
  await get("/throw");
  await herd.waitForLog(
    /\[ERROR\] Uncaught error, the worker is replaced: TypeError: bad timer \(at .*uncaught\.ts:\d+:\d+\)\)?$/,
    { from },
  );
  await herd.waitForLog(/asks to be replaced \(an uncaught error\): starting its replacement/, {
    from,
  });
  assertEquals(await slow, "slow\n");
  await herd.waitForLog(new RegExp(`\\(pid: ${first}\\) exited with code 0 \\(reason: crash\\)`), {
    from,
  });
  assertEquals(herd.workerPids().length, 1);
  // Not also Deno's own multi-line report, outside the error log.
  assertEquals(herd.lines.filter((l) => /^error: Uncaught|^\s+at /.test(l)), []);
});

Deno.test("supervision: a worker sent SIGTERM by something else is replaced at once, not once it has drained", async () => {
  await using herd = await startHerd({ args: [fixtureApp("uncaught.ts"), "-w", "1"] });
  const [first] = herd.workerPids();
  const slow = fetch(`${herd.url}/slow`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 100));
  const from = herd.lines.length;
  Deno.kill(first, "SIGTERM");
  await herd.waitForLog(/is draining on its own \(SIGTERM\): replacing it now/, { from });
  // Its replacement listens while it still finishes its slow request.
  await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from });
  assert(!herd.lines.slice(from).some((l) => new RegExp(`\\(pid: ${first}\\) exited`).test(l)));
  assertEquals(await slow, "slow\n");
});

Deno.test({
  name: "supervision: a worker the master has no file descriptors to spawn is retried each second",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // Not the worker's failure: counted as boot failures, the crash backoff grew (to 12.8 s)
    // and kept the slot empty long after the flood had gone.
    const metrics = `127.0.0.1:${freePort()}`;
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--metrics-bind", metrics],
    });
    const [worker] = herd.workerPids();
    const from = herd.lines.length;
    let freedAt = 0;
    {
      await using _full = await exhaustMasterFiles(herd);
      Deno.kill(worker, "SIGKILL");
      await herd.waitForLog(/Cannot start worker 1/, { from });
      // Long enough for a backoff to grow past 3 s.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      freedAt = Date.now();
    }
    await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from });
    const waited = Date.now() - freedAt;
    assert(waited < 4000, `replaced ${waited} ms after the descriptors were freed`);
    const said = herd.lines.slice(from).filter((l) =>
      /Cannot start worker|crashes in a row|can start workers again/.test(l)
    );
    assertEquals(said.length, 2, said.join("\n"));
    assertMatch(
      said[0],
      /\[ERROR\] Cannot start worker 1 \(.*Too many open files\): the master is out of file descriptors; trying again every 1000 ms, not counted as a crash$/,
    );
    assertMatch(said[1], /\[INFO\] The master can start workers again$/);
    const restarts = await restartCounts(metrics);
    assertEquals([restarts.crash, restarts.boot_failure], [1, 0], JSON.stringify(restarts));
  },
});

Deno.test({
  name: "supervision: a spawn episode whose worker is no longer wanted ends unsaid",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // TTOU took the slot the master could not fill: the episode ended with it. The next spawn,
    // a crash's replacement long after, said "The master can start workers again".
    await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
    const [first, second] = herd.workerPids();
    const from = herd.lines.length;
    {
      await using _full = await exhaustMasterFiles(herd);
      Deno.kill(second, "SIGKILL");
      await herd.waitForLog(/Cannot start worker 2 \(.*\): the master is out of file descriptors/, {
        from,
      });
      herd.kill("SIGTTOU");
      await herd.waitForLog(/Number of workers: 1 \(was 2\)/, { from });
    }
    const later = herd.lines.length;
    Deno.kill(first, "SIGKILL");
    await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from: later });
    assertEquals(
      herd.lines.slice(from).filter((l) => /can start workers again/.test(l)),
      [],
      "no episode was open when worker 1 was replaced",
    );
  },
});

Deno.test("supervision: a hello read after its worker was reaped is the master's own, not warned about; a stranger's is", async () => {
  // A worker killed as it says hello (the others of a failed start, SIGKILLed together) leaves
  // its hello in the control socket, read after its exit was reaped: "Rejected a worker ... with
  // an unknown token" (serve crash_on_import.ts -w 20 --no-preload: in 4 starts of 10). Here
  // worker 2 is frozen before it can say hello and killed, and its hello is sent in its name
  // once the master has reaped it.
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--log-level", "debug"],
    config: `let frozen = false;
      export default {
        post_fork: (_master, worker) => {
          if (worker.id !== 2 || frozen) return;
          frozen = true;
          Deno.kill(worker.pid, "SIGSTOP");
        },
      };\n`,
  });
  const from = herd.lines.length;
  herd.kill("SIGTTIN");
  const booting = await herd.waitForLog(/Booting worker 2 \(pid: \d+/, { from });
  const pid = Number(/\(pid: (\d+)/.exec(booting)![1]);
  // Stopped by post_fork as soon as it was spawned: long before Deno could run its hello.
  const state = () => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat[stat.lastIndexOf(")") + 2];
  };
  await until(() => state() === "T", 5000, `worker ${pid} to be stopped`);
  const environ = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
  const identity = JSON.parse(environ.find((v) => v.startsWith("_HERD_WORKER="))!.slice(13));
  Deno.kill(pid, "SIGKILL");
  await herd.waitForLog(new RegExp(`\\(pid: ${pid}\\) failed to boot`), { from });
  const hello = async (frame: { id: number; pid: number; token: string }) => {
    const channel = await connectChannel(identity.control);
    await channel.send({ type: "hello", ...frame });
    // The master closes the connection of a hello it rejects; one it took would be held open.
    const timer = setTimeout(() => channel.close(), 5000);
    for await (const _ of channel) { /* nothing is sent to a rejected worker */ }
    clearTimeout(timer);
  };
  await hello({ id: 2, pid, token: identity.token });
  await hello({ id: 2, pid: 4242, token: crypto.randomUUID() });
  // The master logs in turn: once the stranger's line is there, any line about pid is too.
  await herd.waitForLog(/Rejected a worker \(pid: 4242\)/, { from });
  const said = herd.lines.slice(from);
  assertEquals(said.filter((l) => /Rejected a worker/.test(l)).length, 1, said.join("\n"));
  assertMatch(
    said.find((l) => /Rejected a worker/.test(l))!,
    /\[WARNING\] Rejected a worker \(pid: 4242\) with an unknown token$/,
  );
  assert(
    said.some((l) => new RegExp(`\\[DEBUG\\] .*\\(pid: ${pid}\\).*exited`).test(l)),
    said.join("\n"),
  );
});
