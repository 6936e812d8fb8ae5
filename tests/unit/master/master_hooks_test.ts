import { assertEquals } from "../../assert.ts";
import { workerConfigPath } from "../../../src/master/master_hooks.ts";
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
