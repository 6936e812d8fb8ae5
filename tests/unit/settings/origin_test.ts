/**
 * Unit tests of how a setting's origin is named in one-line errors.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { originsOf, type Resolved, settingOrigin } from "../../../src/settings/resolved.ts";

Deno.test("settingOrigin names the flag, the variable, the config key or the default", () => {
  assertEquals(settingOrigin("access_log", "cli", "HERD"), "--access-log");
  assertEquals(settingOrigin("access_log", "env", "BIOREMPP"), "BIOREMPP_ACCESS_LOG");
  assertEquals(settingOrigin("access_log", ".env", "HERD"), "HERD_ACCESS_LOG in .env");
  assertEquals(settingOrigin("access_log", "config.ts", "HERD"), '"access_log" in config.ts');
  assertEquals(settingOrigin("access_log", "default", "HERD"), 'the default of "access_log"');
  assertEquals(
    settingOrigin("worker_class", undefined, "HERD"),
    '"worker_class": HERD_WORKER_CLASS, --worker-class or config.ts',
  );
});

Deno.test("originsOf names a serve() program's config object, not a config.ts", () => {
  const sources = { access_log: "config.ts" } as Resolved["sources"];
  const settings = { env_prefix: "BIOREMPP" };
  assertEquals(
    originsOf({ sources, configPath: null, settings })("access_log"),
    '"access_log" in the config given to serve()',
  );
  assertEquals(
    originsOf({ sources, configPath: "/srv/config.ts", settings })("access_log"),
    '"access_log" in config.ts',
  );
});
