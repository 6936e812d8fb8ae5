/**
 * Tests for `herd config` rendering.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import { configEntries, configJson, configTable } from "../../../src/cli/config_command.ts";
import { effectiveCpuCount } from "../../../src/platform/cpus.ts";
import { resolveSettings } from "../../../src/settings/resolve.ts";
import { SETTINGS } from "../../../src/settings/table.ts";
import type { Resolved } from "../../../src/settings/resolved.ts";

async function resolvedWith(
  args: string[],
  env: Record<string, string> = {},
): Promise<Resolved> {
  const cwd = await Deno.makeTempDir({ prefix: "herd_config_cmd_" });
  try {
    await Deno.writeTextFile(`${cwd}/config.ts`, "export default { on_exit: () => {} };");
    const r = await resolveSettings({ args, env, cwd });
    assert(r.ok);
    return r.resolved;
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("configEntries() gives every setting a JSON-safe value and its source", async () => {
  const entries = configEntries(await resolvedWith(["-w", "2"]));
  assertEquals(Object.keys(entries), SETTINGS.map((s) => s.name));
  assertEquals(entries.workers, { value: 2, source: "cli" });
  assertEquals(entries.on_exit, { value: "function", source: "config.ts" });
  assertEquals(entries.on_starting, { value: null, source: "default" });
  assertEquals(JSON.parse(configJson(await resolvedWith([]))).port, {
    value: 8080,
    source: "default",
  });
});

Deno.test("configTable() aligns one row per setting", async () => {
  const lines = configTable(await resolvedWith([])).split("\n");
  const header = lines.findIndex((l) => l.startsWith("SETTING"));
  const rows = lines.slice(header + 1);
  assertEquals(rows.length, SETTINGS.length);
  const sourceColumn = lines[header].indexOf("SOURCE");
  for (const row of rows) assertEquals(row.length > sourceColumn, true, row);
  assertEquals(rows.find((r) => r.startsWith("port "))?.endsWith("default"), true);
  // `auto` with what it comes to here, for async workers: the effective CPU count.
  const workers = rows.find((r) => r.startsWith("workers "))!;
  assertEquals(/ auto \((\d+) here\) /.exec(workers)?.[1], String(effectiveCpuCount()), workers);
});

Deno.test("configTable() under serve(app, config) names what was given to serve()", async () => {
  const lines = configTable(await resolvedWith([]), { embedded: true }).split("\n");
  const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s{2,}/);
  assertEquals(row("app"), ["app", "app given to serve()", "serve()"]);
  assertEquals(row("config"), ["config", "config given to serve()", "serve()"]);
  assertEquals(row("port"), ["port", "8080", "default"]);
  // What the config object sets (here on_exit, read as config.ts's would be) is from serve().
  assertEquals(row("on_exit"), ["on_exit", "function", "serve()"]);
});

Deno.test("configTable() names the variable read, and what set a bind aside", async () => {
  const resolved = await resolvedWith(["--port", "34015"], {
    HERD_BIND: "127.0.0.1:34016",
    WEB_CONCURRENCY: "3",
  });
  const lines = configTable(resolved).split("\n");
  const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s{2,}/);
  assertEquals(row("port"), ["port", "34015", "cli"]);
  // No -b was given: the bind is empty because --port outranks HERD_BIND (as the warning says).
  assertEquals(row("bind"), ["bind", "[]", 'cli: "port" outranks env HERD_BIND']);
  assertEquals(row("workers"), ["workers", "3", "env WEB_CONCURRENCY"]);
  // The JSON contract is unchanged: the command line decided the bind.
  assertEquals(configEntries(resolved).bind, { value: [], source: "cli" });
  const platform = configTable(await resolvedWith([], { PORT: "34017", HERD_WORKERS: "2" }));
  assertMatch(platform, /^port +34017 +env PORT$/m);
  assertMatch(platform, /^workers +2 +env HERD_WORKERS$/m);
  assertMatch(platform, /^bind +\[\] +default$/m);
});
