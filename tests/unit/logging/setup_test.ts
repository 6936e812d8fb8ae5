/**
 * Tests for `src/logging/setup.ts`. The log routing is per process, so
 * each case configures it in a child process and reads what it wrote.
 *
 * @module
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../../assert.ts";
import { prepareLogTarget, prepareLogTargets } from "../../../src/logging/setup.ts";

const CHILD = new URL("./_log_child.ts", import.meta.url).pathname;
const TIME = String.raw`\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\]`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function runChild(args: string[], permissions = ["-A"]): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, CHILD, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herd_setup_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function options(errorLog: string, format: "text" | "json", workerId?: number): string {
  return JSON.stringify({
    role: workerId === undefined ? "master" : "worker",
    workerId,
    settings: { log_level: "info", error_log: errorLog, log_format: format },
  });
}

Deno.test("text error log in a file: Gunicorn-style lines naming the worker", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/error.log`;
    const run = await runChild([options(path, "text", 3)]);
    assertEquals([run.code, run.stderr], [0, ""]);
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    const who = String.raw`\[\d+\] \[worker 3\]`;
    assertMatch(lines[0], new RegExp(`^${TIME} ${who} \\[INFO\\] Booting worker$`));
    assertMatch(
      lines[1],
      new RegExp(`^${TIME} ${who} \\[WARNING\\] Careful with the size$`),
    );
    assertMatch(lines[2], new RegExp(`^${TIME} ${who} \\[ERROR\\] It broke$`));
    assertEquals(lines[3], "Error: boom", "the stack follows the record");
    assertMatch(lines.at(-1)!, new RegExp(`^${TIME} ${who} \\[CRITICAL\\] Gone$`));
    assert(!lines.some((l) => l.includes("Hidden")), "debug is below log_level");
  });
});

Deno.test("text error log on stderr: master lines, no colour when not a TTY", async () => {
  const run = await runChild([options("-", "text")]);
  assertEquals(run.code, 0);
  const first = run.stderr.split("\n")[0];
  assertMatch(first, new RegExp(`^${TIME} \\[\\d+\\] \\[INFO\\] Booting worker$`));
  assert(!run.stderr.includes("\x1b["), "no ANSI escapes");
});

Deno.test("json error log on stderr: one parseable object per record", async () => {
  const run = await runChild([options("-", "json", 2)]);
  assertEquals(run.code, 0);
  const records = run.stderr.trimEnd().split("\n").map((line) => JSON.parse(line));
  assertEquals(records.map((r) => r.level), ["info", "warning", "error", "critical"]);
  const [info, warning, error] = records;
  assertEquals(Object.keys(info), [
    "time",
    "level",
    "pid",
    "role",
    "worker",
    "category",
    "message",
  ]);
  assertMatch(info.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assertEquals([info.role, info.worker, info.category], ["worker", 2, "herd.master"]);
  assertEquals(warning.thing, { size: 3 });
  assertEquals([error.error.name, error.error.message], ["Error", "boom"]);
});

Deno.test("json error log in a file, master role has no worker field", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/error.log`;
    assertEquals((await runChild([options(path, "json")])).code, 0);
    const first = JSON.parse((await Deno.readTextFile(path)).split("\n")[0]);
    assertEquals([first.role, "worker" in first, first.message], [
      "master",
      false,
      "Booting worker",
    ]);
  });
});

Deno.test("reopenLogs() after a move writes to a new error log", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/error.log`;
    const run = await runChild([options(path, "text"), "rotate", `${path}.1`]);
    assertEquals(run.code, 0, run.stderr);
    assertMatch(await Deno.readTextFile(`${path}.1`), /Booting worker[^]*Gone\n$/);
    assertMatch(await Deno.readTextFile(path), /^\[[^\n]+\[INFO\] After rotation\n$/);
  });
});

Deno.test("master and workers sharing one error log never tear a line", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/error.log`;
    const runs = await Promise.all([
      runChild([options(path, "text"), "many", "2000"]),
      runChild([options(path, "text", 1), "many", "2000"]),
    ]);
    assertEquals(runs.map((r) => r.code), [0, 0]);
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assertEquals(lines.length, 4000);
    const pattern = new RegExp(
      `^${TIME} \\[\\d+\\]( \\[worker 1\\])? \\[INFO\\] record \\d+ from \\d+$`,
    );
    for (const line of lines) assertMatch(line, pattern);
  });
});

Deno.test("prepareLogTarget creates missing directories and accepts -", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/logs/deep/access.log`;
    await prepareLogTarget(path);
    assert((await Deno.stat(path)).isFile);
    await prepareLogTarget("-");
  });
});

Deno.test("prepareLogTarget fails with one clear line on an unusable path", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    await assertRejects(() => prepareLogTarget(`${dir}/file/error.log`), {
      message: `Cannot create log directory "${dir}/file": Not a directory`,
    });
    await assertRejects(() => prepareLogTarget(dir), {
      message: `Cannot open log file "${dir}": Is a directory`,
    });
    const denied = await runChild(
      ["{}", "prepare", `${dir}/denied/error.log`],
      ["--allow-read", `--allow-write=${dir}/allowed`],
    );
    assertEquals(
      denied.stdout.trim(),
      `Cannot create log directory "${dir}/denied": Requires write access to "${dir}/denied", ` +
        "run again with the --allow-write flag",
    );
  });
});

Deno.test("prepareLogTargets names the setting whose path is unusable", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    assertEquals(
      await prepareLogTargets({ error_log: "-", access_log: `${dir}/file/access.log` }),
      `Cannot create log directory "${dir}/file": Not a directory ("access_log")`,
    );
    assertEquals(await prepareLogTargets({ error_log: "-", access_log: null }), null);
    // With where each setting was given, the line says where to fix it.
    assertEquals(
      await prepareLogTargets(
        { error_log: `${dir}/file/error.log`, access_log: null },
        (name) => `HERD_${name.toUpperCase()} in .env`,
      ),
      `Cannot create log directory "${dir}/file": Not a directory (HERD_ERROR_LOG in .env)`,
    );
  });
});
