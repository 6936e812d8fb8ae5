import process from "node:process";
import { assert, assertEquals } from "../../assert.ts";
import { captureLogs } from "../../log_records.ts";
import { runMasterHook, workerConfigPath } from "../../../src/master/master_hooks.ts";
import { workerCount } from "../../../src/master/worker_count.ts";
import { effectiveCpuCount } from "../../../src/platform/cpus.ts";
import { defaultSettings } from "../../../src/settings/table.ts";
import type { Settings } from "../../../src/settings/table.ts";

const PATH = "/srv/app/config.ts";

function resolvedWith(hooks: Partial<Settings>) {
  return { settings: { ...defaultSettings("development"), ...hooks }, configPath: PATH };
}

Deno.test("workerConfigPath: a worker imports config.ts only for a worker-side hook", () => {
  assertEquals(workerConfigPath(resolvedWith({})), null);
  assertEquals(workerConfigPath(resolvedWith({ post_fork: () => {}, when_ready: () => {} })), null);
  assertEquals(workerConfigPath(resolvedWith({ pre_request: () => {} })), PATH);
  assertEquals(workerConfigPath(resolvedWith({ post_request: () => {} })), PATH);
  assertEquals(workerConfigPath(resolvedWith({ post_worker_init: () => {} })), PATH);
});

Deno.test("workerConfigPath: no config.ts, nothing to import", () => {
  const settings = { ...defaultSettings("development"), pre_request: () => {} };
  assertEquals(workerConfigPath({ settings, configPath: null }), null);
});

Deno.test("runMasterHook: a hook sees workers as the number the master runs, not auto", async () => {
  const seen: unknown[] = [];
  const settings: Settings = {
    ...defaultSettings("development"),
    workers: "auto",
    worker_class: "sync",
    on_starting: (master) => {
      seen.push(master.settings.workers);
    },
  };
  await runMasterHook({ settings, workers: [] }, { name: "on_starting", args: [] });
  assertEquals(seen, [workerCount("auto", effectiveCpuCount, "sync")]);
  assertEquals(typeof seen[0], "number");
  await runMasterHook({ settings: { ...settings, workers: 3 }, workers: [] }, {
    name: "on_starting",
    args: [],
  });
  assertEquals(seen[1], 3);
});

const REFUSED = "a hook must not end the master (send it a signal)";

Deno.test("runMasterHook: a hook that calls Deno.exit() fails as a hook, after an await too; the master goes on", async () => {
  using logs = captureLogs("info");
  const [denoExit, nodeExit] = [Deno.exit, process.exit];
  const settings: Settings = {
    ...defaultSettings("development"),
    when_ready: () => Deno.exit(0),
    on_reload: async () => {
      await new Promise((r) => setTimeout(r, 10));
      Deno.exit(0);
    },
    // npm code ends a process with Node's process.exit().
    on_exit: async () => {
      await Promise.resolve();
      process.exit(3);
    },
  };
  for (const name of ["when_ready", "on_reload", "on_exit"] as const) {
    await runMasterHook({ settings, workers: [] }, { name, args: [] });
  }
  assertEquals(logs.records.map((r) => r.message), [
    `Hook "when_ready" failed: it called Deno.exit(0): ${REFUSED}`,
    `Hook "on_reload" failed: it called Deno.exit(0): ${REFUSED}`,
    `Hook "on_exit" failed: it called process.exit(3): ${REFUSED}`,
  ]);
  assertEquals([Deno.exit, process.exit], [denoExit, nodeExit], "restored");
});

Deno.test("runMasterHook: a hook the master stopped waiting for may still not exit; the exits come back when the last such hook settles", async () => {
  using logs = captureLogs("info");
  const denoExit = Deno.exit;
  const [first, second] = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
  const settings: Settings = {
    ...defaultSettings("development"),
    on_starting: async () => {
      await first.promise;
      Deno.exit(0);
    },
    on_exit: () => second.promise,
  };
  const stop = new AbortController();
  stop.abort();
  // Both interrupted at once, both left running.
  await runMasterHook({ settings, workers: [] }, { name: "on_starting", args: [] }, stop.signal);
  await runMasterHook({ settings, workers: [] }, { name: "on_exit", args: [] }, stop.signal);
  assert(Deno.exit !== denoExit, "refused while they run");
  first.resolve();
  await new Promise((r) => setTimeout(r, 10));
  assert(Deno.exit !== denoExit, "refused while one still runs");
  second.resolve();
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(Deno.exit, denoExit, "restored with the last");
  assertEquals(logs.records.map((r) => r.message), [
    'Hook "on_starting" interrupted by a stop signal; going on without it',
    'Hook "on_exit" interrupted by a stop signal; going on without it',
    `Hook "on_starting" failed: it called Deno.exit(0): ${REFUSED}`,
  ]);
});

Deno.test("runMasterHook: a stop signal ends the wait for a hook that does not finish", async () => {
  using logs = captureLogs("info");
  const settings: Settings = {
    ...defaultSettings("development"),
    on_exit: () => hook.promise,
  };
  const hook = Promise.withResolvers<void>();
  const stop = new AbortController();
  const started = performance.now();
  setTimeout(() => stop.abort(), 50);
  await runMasterHook({ settings, workers: [] }, { name: "on_exit", args: [] }, stop.signal);
  assert(performance.now() - started < 5000, "not the hook's 10 s limit");
  assertEquals(logs.records.map((r) => r.message), [
    'Hook "on_exit" interrupted by a stop signal; going on without it',
  ]);
  hook.resolve(); // its refusal of Deno.exit() ends with it
});
