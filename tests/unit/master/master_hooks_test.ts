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

Deno.test("runMasterHook: a hook that calls Deno.exit() fails as a hook; the master goes on", async () => {
  using logs = captureLogs("info");
  const exit = Deno.exit;
  const settings: Settings = {
    ...defaultSettings("development"),
    when_ready: () => Deno.exit(0),
  };
  await runMasterHook({ settings, workers: [] }, { name: "when_ready", args: [] });
  assertEquals(
    logs.records.map((r) => r.message),
    ['Hook "when_ready" failed: it called Deno.exit(0): a hook must not end the master (send it a signal)'],
  );
  assertEquals(Deno.exit, exit, "restored");
});

Deno.test("runMasterHook: a stop signal ends the wait for a hook that does not finish", async () => {
  using logs = captureLogs("info");
  const settings: Settings = {
    ...defaultSettings("development"),
    on_exit: () => new Promise(() => {}),
  };
  const stop = new AbortController();
  const started = performance.now();
  setTimeout(() => stop.abort(), 50);
  await runMasterHook({ settings, workers: [] }, { name: "on_exit", args: [] }, stop.signal);
  assert(performance.now() - started < 5000, "not the hook's 10 s limit");
  assertEquals(logs.records.map((r) => r.message), [
    'Hook "on_exit" interrupted by a stop signal; going on without it',
  ]);
});
