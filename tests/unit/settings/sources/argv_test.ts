/**
 * Tests for the command-line source.
 *
 * @module
 */
import { assertEquals } from "../../../assert.ts";
import { knownFlags, readArgv } from "../../../../src/settings/sources/argv.ts";
import { SETTINGS } from "../../../../src/settings/table.ts";
import { flagName } from "../../../../src/settings/setting.ts";

function raws(args: string[]) {
  const { values, problems } = readArgv(args);
  return { raw: Object.fromEntries([...values].map(([k, v]) => [k, v.raw])), problems };
}

Deno.test("readArgv() reads long flags, short aliases and the APP positional", () => {
  assertEquals(raws(["app.ts", "--timeout", "5", "-w", "3", "--port=9000", "-k", "sync"]), {
    raw: { app: "app.ts", timeout: "5", workers: "3", port: "9000", worker_class: "sync" },
    problems: [],
  });
});

Deno.test("readArgv() records the spelling the user typed as the origin", () => {
  const { values } = readArgv(["-w4", "app.ts"]);
  assertEquals(values.get("workers")?.origin, { source: "cli", flag: "-w" });
  assertEquals(values.get("app")?.origin, { source: "cli", flag: "APP" });
});

Deno.test("readArgv() takes --name and --no-name for booleans", () => {
  assertEquals(raws(["--preload"]).raw, { preload: true });
  assertEquals(raws(["--no-preload"]).raw, { preload: false });
  assertEquals(raws(["--preload=no"]).raw, { preload: "no" });
});

Deno.test("readArgv() collects a repeatable flag into an array", () => {
  assertEquals(raws(["-b", "127.0.0.1:1", "--bind", "[::1]:2", "--bind=unix:/x"]).raw, {
    bind: ["127.0.0.1:1", "[::1]:2", "unix:/x"],
  });
});

Deno.test("readArgv() reports an unknown flag with a suggestion, without taking its value as APP", () => {
  assertEquals(raws(["--wokers", "4"]), {
    raw: {},
    problems: ['Unknown flag "--wokers": did you mean --workers?'],
  });
  assertEquals(raws(["--no-timeout"]).problems, [
    'Unknown flag "--no-timeout": did you mean --timeout?',
  ]);
  assertEquals(raws(["-z"]).problems, ['Unknown flag "-z"']);
});

Deno.test("readArgv() reports every mistake at once", () => {
  assertEquals(raws(["a.ts", "b.ts", "--wokers", "--workers", "--preload"]).problems, [
    'Unexpected argument "b.ts": only one PATH is accepted',
    'Unknown flag "--wokers": did you mean --workers?',
    'Missing value for "--workers": expected INT|auto',
  ]);
  assertEquals(raws(["--timeout"]).problems, ['Missing value for "--timeout": expected SECONDS']);
  assertEquals(raws(["--no-preload=1"]).problems, [
    'Unexpected value for "--no-preload": the flag takes no value',
  ]);
});

Deno.test("readArgv() treats everything after -- as positional", () => {
  assertEquals(raws(["--", "--weird-name.ts"]).raw, { app: "--weird-name.ts" });
});

Deno.test("knownFlags() covers every CLI setting of the table", () => {
  const flags = new Set(knownFlags());
  for (const s of SETTINGS) {
    if (s.cli === false || s.positional) continue;
    assertEquals(flags.has(`--${flagName(s.name)}`), true, s.name);
    if (s.short) assertEquals(flags.has(`-${s.short}`), true, s.name);
  }
  assertEquals(flags.has("--on-starting"), false);
});

Deno.test("readArgv(): a word after a flag is its value unless it is one of Herd's flags", () => {
  // Deno's permission flags are values of --worker-permissions, given with or without `=`.
  assertEquals(raws(["--worker-permissions", "--allow-env=FOO"]).raw, {
    worker_permissions: ["--allow-env=FOO"],
  });
  assertEquals(raws(["--workers", "--preload"]).problems, [
    'Missing value for "--workers": expected INT|auto',
  ]);
  assertEquals(raws(["--workers", "--preload=yes"]).problems, [
    'Missing value for "--workers": expected INT|auto',
  ]);
});

Deno.test("readArgv(): a flag missing its value leaves the next flag a flag, with its value", () => {
  assertEquals(raws(["-w", "-p", "8000"]), {
    raw: { port: "8000" },
    problems: ['Missing value for "-w": expected INT|auto'],
  });
  assertEquals(raws(["-b", "-w", "2", "app.ts"]), {
    raw: { workers: "2", app: "app.ts" },
    problems: ['Missing value for "-b": expected ADDRESS'],
  });
  assertEquals(raws(["--pidfile", "--workers", "2", "--timeout", "--port=1"]), {
    raw: { workers: "2", port: "1" },
    problems: [
      'Missing value for "--pidfile": expected PATH',
      'Missing value for "--timeout": expected SECONDS',
    ],
  });
});
