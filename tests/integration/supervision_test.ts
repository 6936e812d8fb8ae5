import { assert, assertEquals, assertNotEquals } from "../assert.ts";
import { fixtureApp, isAlive, startHerd, until } from "./_harness.ts";

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

Deno.test("supervision: after kill -9 of the master no worker is left and the port is free", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  const workers = herd.workerPids();
  assertEquals(workers.length, 2);
  herd.kill("SIGKILL");
  await herd.waitForExit();
  await until(() => workers.every((pid) => !isAlive(pid)), 2000, "workers to exit");
  Deno.listen({ hostname: "127.0.0.1", port: herd.port }).close();
  // Each says so once, whichever of stdin, the parent pid and the channel noticed first.
  const gone = () => herd.lines.filter((l) => /the master is gone; exiting$/.test(l));
  await until(() => gone().length >= 2, 2000, "each worker's line");
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(gone().length, 2, gone().join("\n"));
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

Deno.test("supervision: an uncaught error or rejection that ends a worker is in the error log, one line", async () => {
  await using herd = await startHerd({ args: [fixtureApp("uncaught.ts"), "-w", "1"] });
  for (
    const [path, line] of [
      [
        "/reject",
        /\[ERROR\] Unhandled promise rejection, the worker exits: RangeError: database went away \(at .*uncaught\.ts:\d+:\d+\)\)?$/,
      ],
      [
        "/throw",
        /\[ERROR\] Uncaught error, the worker exits: TypeError: bad timer \(at .*uncaught\.ts:\d+:\d+\)\)?$/,
      ],
    ] as const
  ) {
    const from = herd.lines.length;
    await fetch(`${herd.url}${path}`).then((r) => r.body?.cancel());
    await herd.waitForLog(line, { from });
    await herd.waitForLog(/Worker 1 \(pid: \d+\) exited with code 1/, { from });
    await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from });
  }
  // Not also Deno's own multi-line report, outside the error log.
  assertEquals(herd.lines.filter((l) => /^error: Uncaught|^\s+at /.test(l)), []);
});
