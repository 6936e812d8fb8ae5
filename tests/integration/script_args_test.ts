/**
 * The scripts behind `deno task` (bench, fuzz, compile, …) as users run
 * them: `--help` prints their options and defaults and runs nothing; a bad
 * option is one `error:` line and exit 2, without parseArgs' stack.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const STACK_LINE = /^\s+at /m;

async function task(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test("every task that takes options prints them with --help, and runs nothing", async () => {
  const tasks = {
    bench: "--connections <value> +\\(default: 64\\)",
    "bench:recycle": "--seconds <value> +\\(default: 8\\)",
    "bench:access-log": "--rounds <value> +\\(default: 3\\)",
    "bench:slowloris": "--interval-ms <value> +\\(default: 3000\\)",
    fuzz: "--json",
    compile: "--out-dir <value> +\\(default: dist\\)",
  };
  for (const [name, option] of Object.entries(tasks)) {
    const run = await task([name, "--help"]);
    assertEquals([run.code, run.stderr], [0, ""], name);
    assertMatch(run.stdout, new RegExp(`^Usage: deno task ${name} \\[options\\]\n`), name);
    assertMatch(run.stdout, new RegExp(`^  ${option}$`, "m"), name);
  }
});

Deno.test("a bad option to a task's script is one line and exit 2", async () => {
  const typo = await task(["bench", "--wokers", "4"]);
  assertEquals([typo.code, typo.stdout, typo.stderr], [
    2,
    "",
    "error: Unknown option '--wokers': did you mean --workers? " +
    "(deno task bench --help lists the options)\n",
  ]);
  // fuzz parses its options at the top level, not in a main().
  const unknown = await task(["fuzz", "--bogus"]);
  assertEquals([unknown.code, unknown.stderr.split("\n").length], [2, 2]);
  assertMatch(unknown.stderr, /^error: Unknown option '--bogus'/);
  assert(!STACK_LINE.test(unknown.stderr), unknown.stderr);
  // A number option given something else: refused before anything runs, not a NaN report.
  const notANumber = await task(["bench", "--rounds", "abc"]);
  assertEquals([notANumber.code, notANumber.stdout, notANumber.stderr], [
    2,
    "",
    'error: --rounds takes a positive whole number, not "abc" (default 3)\n',
  ]);
  const zero = await task(["bench", "--rounds", "0"]);
  assertEquals([zero.code, zero.stderr], [
    2,
    'error: --rounds takes a positive whole number, not "0" (default 3)\n',
  ]);
  // wrk takes whole seconds: `-d1.5s` failed only once the servers were up.
  const fraction = await task(["bench", "--seconds", "1.5"]);
  assertEquals([fraction.code, fraction.stderr], [
    2,
    'error: --seconds takes a positive whole number, not "1.5" (default 5)\n',
  ]);
  // With --url the server is the user's: options that shape the Herd it would start are refused.
  const both = await task(["bench:slowloris", "--url", "http://127.0.0.1:9/", "--workers", "4"]);
  assertEquals([both.code, both.stdout, both.stderr], [
    2,
    "",
    "error: --workers shapes the Herd bench:slowloris starts, and --url names a server of yours instead: give one or the other\n",
  ]);
});
