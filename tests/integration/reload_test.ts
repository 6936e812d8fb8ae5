import { assertEquals } from "../assert.ts";
import { fixtureApp, loadLoop, startHerd } from "./_harness.ts";

Deno.test("reload: HUP under load replaces every worker with zero failed requests", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  const before = herd.workerPids();
  const stop = new AbortController();
  const load = loadLoop(herd.url, {
    concurrency: 4,
    signal: stop.signal,
    maxRequests: 20_000,
    keepAlive: true,
  });
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  try {
    await herd.waitForLog(/Reload complete/, { from, timeoutMs: 20_000 });
    for (const pid of before) {
      await herd.waitForLog(new RegExp(`\\(pid: ${pid}\\) exited .*reason: reload`), { from });
    }
  } finally {
    stop.abort();
  }
  const result = await load;
  const after = herd.workerPids();
  assertEquals(after.length, 2);
  assertEquals(after.filter((pid) => before.includes(pid)), [], "every worker pid changed");
  assertEquals(
    result.failed,
    0,
    `${result.failed} of ${result.ok + result.failed}: ${result.errors.slice(0, 3).join("\n")}`,
  );
});

Deno.test("reload: a new worker that cannot boot leaves the old ones serving", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-" });
  const app = `${dir}/app.ts`;
  await Deno.copyFile(fixtureApp("hello.ts"), app);
  await using herd = await startHerd({ args: [app, "-w", "2"] });
  const before = herd.workerPids();
  await Deno.copyFile(fixtureApp("crash_on_import.ts"), app);
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/Reload abandoned: .*failed to boot/, { from });
  assertEquals(herd.workerPids(), before);
  const text = await fetch(herd.url).then((r) => r.text());
  assertEquals(text.startsWith("hello from"), true);
});
