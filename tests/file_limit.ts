/**
 * Code run under a lowered open-files limit, in a child `prlimit` starts: a
 * test's own limit, once lowered, could not be raised back.
 *
 * @example
 * ```ts
 * import { evalWithFileLimit, HAVE_PRLIMIT } from "./file_limit.ts";
 * if (HAVE_PRLIMIT) await evalWithFileLimit(64, "console.log(JSON.stringify(1 + 1));"); // 2
 * ```
 *
 * @module
 */

/** Whether `prlimit` (util-linux) is here, to lower a process's limits. */
export const HAVE_PRLIMIT: boolean = await new Deno.Command("prlimit", {
  args: ["--version"],
  stdout: "null",
}).output().then((o) => o.success, () => false);

/**
 * Runs `script` (`deno eval`) with at most `limit` open files, and returns what it printed, as
 * JSON. Its stderr is the test's.
 *
 * @throws {Error} when the child fails, with its exit code
 * @example
 * ```ts
 * import { evalWithFileLimit } from "./file_limit.ts";
 * await evalWithFileLimit(128, `console.log(JSON.stringify(Deno.pid > 0));`); // true
 * ```
 */
export async function evalWithFileLimit(limit: number, script: string): Promise<unknown> {
  const out = await new Deno.Command("prlimit", {
    args: [`--nofile=${limit}:${limit}`, Deno.execPath(), "eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`The script under prlimit exited with code ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
