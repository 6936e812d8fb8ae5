import { assert, assertEquals } from "../assert.ts";
import { fixtureApp, startHerd, until } from "./_harness.ts";

Deno.test("signals: TERM lets an in-flight slow request finish, then exits 0", async () => {
  await using herd = await startHerd({ args: [fixtureApp("slow.ts"), "-w", "2"] });
  const slow = fetch(`${herd.url}/slow?ms=1500`).then((r) => r.text());
  await herd.waitForLog(/slow request started/);
  herd.kill("SIGTERM");
  assert((await slow).startsWith("slow done by"));
  assertEquals((await herd.waitForExit()).code, 0);
  await herd.waitForLog(/Shutting down: draining workers/);
});

Deno.test("signals: a worker busy past graceful_timeout leaves by itself, before the SIGKILL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-grace-" });
  await using herd = await startHerd({
    args: [
      fixtureApp("slow.ts"),
      "-w",
      "1",
      "--graceful-timeout",
      "2",
      "--access-log",
      `${dir}/access.log`,
    ],
  });
  const slow = fetch(`${herd.url}/slow?ms=10000`).then((r) => r.status, () => "cut");
  const fast = await fetch(herd.url).then((r) => r.text());
  await herd.waitForLog(/slow request started/);
  herd.kill("SIGTERM");
  assertEquals((await herd.waitForExit()).code, 0);
  await slow;
  await herd.waitForLog(
    /Still busy after 1800 ms of draining; exiting anyway, cutting off 1 request/,
  );
  assert(!herd.lines.some((l) => /SIGKILL/.test(l)), herd.lines.join("\n"));
  // Its last lines were written on the way out.
  assert(fast.startsWith("fast from"));
  assertEquals((await Deno.readTextFile(`${dir}/access.log`)).split("\n").length - 1, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("signals: INT stops quickly and exits", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  herd.kill("SIGINT");
  const status = await herd.waitForExit(5000);
  assertEquals(status.code, 0);
  await herd.waitForLog(/Shutting down quickly \(SIGINT\)/);
});

Deno.test("signals: TTIN adds a worker and TTOU removes one", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"] });
  let from = herd.lines.length;
  herd.kill("SIGTTIN");
  await herd.waitForLog(/Number of workers: 2 \(was 1\)/, { from });
  await herd.waitForLog(/Worker 2 \(pid: \d+\) listening/, { from });
  assertEquals(herd.workerPids().length, 2);
  from = herd.lines.length;
  herd.kill("SIGTTOU");
  await herd.waitForLog(/Number of workers: 1 \(was 2\)/, { from });
  await herd.waitForLog(/Worker 2 \(pid: \d+\) exited with code 0 \(reason: scale_down\)/, {
    from,
  });
  assertEquals(herd.workerPids().length, 1);
  from = herd.lines.length;
  herd.kill("SIGTTOU");
  await herd.waitForLog(/Not removing the last worker/, { from });
});

Deno.test("signals: a HUP while the app preloads follows the start, TTIN is ignored with a line; TERM then exits 0 before any worker", async () => {
  {
    await using herd = await startHerd({
      args: [fixtureApp("slow_import.ts"), "-w", "1"],
      env: { HERD_TEST_IMPORT_MS: "3000" },
      waitReady: false,
    });
    // Inside the 3 s import: the banner comes after it.
    await new Promise((r) => setTimeout(r, 800));
    assert(!herd.lines.some((l) => /Listening at/.test(l)), "still preloading");
    herd.kill("SIGHUP");
    herd.kill("SIGTTIN");
    await herd.waitForLog(/Ready: 1 worker/, { timeoutMs: 10_000 });
    await herd.waitForLog(/Reload requested while starting: it follows once workers are ready/);
    await herd.waitForLog(/SIGTTIN ignored: the master is starting/);
    // A deploy's HUP is not lost: the workers run the configuration read after it.
    await herd.waitForLog(/Reload complete: every worker runs generation 1/, { timeoutMs: 15_000 });
    await herd.waitForLog(/exited with code 0 \(reason: reload\)/);
    assertEquals(herd.workerPids().length, 1);
  }
  await using herd = await startHerd({
    args: [fixtureApp("slow_import.ts"), "-w", "1"],
    env: { HERD_TEST_IMPORT_MS: "never" },
    waitReady: false,
  });
  await new Promise((r) => setTimeout(r, 500));
  herd.kill("SIGTERM");
  assertEquals((await herd.waitForExit(5000)).code, 0);
  await herd.waitForLog(/SIGTERM before any worker started: exiting/);
  assert(!herd.lines.some((l) => /Booting worker/.test(l)), herd.lines.join("\n"));
});

Deno.test("signals: an app whose import never ends stops the master at boot_timeout (exit 4)", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("slow_import.ts"), "-w", "1", "--boot-timeout", "1"],
    env: { HERD_TEST_IMPORT_MS: "never" },
    waitReady: false,
  });
  assertEquals((await herd.waitForExit(10_000)).code, 4);
  await herd.waitForLog(/^error: The app did not finish loading within boot_timeout \(1 s\)/);
});

Deno.test("signals: a HUP as soon as the program runs is held for the master, not the end of it", async () => {
  // Deno's default for HUP ends a process; the master's listeners come ~30 ms later (modules,
  // configuration). main.ts holds HUP from its first line: send it the moment it is caught.
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1"],
    waitReady: false,
  });
  await until(() => (caughtSignals(herd.masterPid) & 1n) === 1n, 5000, "main.ts to hold SIGHUP");
  herd.kill("SIGHUP");
  await herd.waitForLog(/Ready: 1 worker/, { timeoutMs: 10_000 });
  await herd.waitForLog(/Reload complete: every worker runs generation 1/, { timeoutMs: 15_000 });
});

/** The signals a process has handlers for (`SigCgt` in /proc; bit n-1 for signal n). */
function caughtSignals(pid: number): bigint {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return BigInt(`0x${/^SigCgt:\s+([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"}`);
  } catch {
    return 0n;
  }
}

Deno.test("signals: INT during a slow on_starting hook stops the master at once, not after the hook", async () => {
  const ms = await stopDuringSlowHook({ hook: "on_starting", workers: 1, signal: "SIGINT" });
  assert(ms < 4000, `not after the hook's ${SLOW_HOOK_MS} ms: ${ms} ms`);
});

Deno.test("signals: TERM during a slow pre_fork is not held up by the pre_forks of the workers after it", async () => {
  const ms = await stopDuringSlowHook({ hook: "pre_fork", workers: 3, signal: "SIGTERM" });
  // Before: each later worker's pre_fork waited its 10 s limit (~20 s for three workers).
  assert(ms < 5000, `${ms} ms`);
});

/** How long each slow hook takes: past a test's patience, and the master's 10 s limit too. */
const SLOW_HOOK_MS = 30_000;

/**
 * Starts a master whose `hook` takes {@linkcode SLOW_HOOK_MS}, sends `signal` while it runs, and
 * resolves with how many ms the master took to exit 0 after it, having said the hook was cut.
 */
async function stopDuringSlowHook(
  scene: { hook: string; workers: number; signal: Deno.Signal },
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "herd-slow-hook-" });
  const config = `${dir}/config.ts`;
  await Deno.writeTextFile(
    config,
    `export default { ${scene.hook}: () => new Promise((r) => setTimeout(r, ${SLOW_HOOK_MS})) };\n`,
  );
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", String(scene.workers), "--config", config],
    waitReady: false,
  });
  await new Promise((r) => setTimeout(r, 1500));
  const sent = performance.now();
  herd.kill(scene.signal);
  assertEquals((await herd.waitForExit(15_000)).code, 0);
  const took = Math.round(performance.now() - sent);
  await herd.waitForLog(new RegExp(`Hook "${scene.hook}" interrupted by a stop signal`));
  return took;
}
