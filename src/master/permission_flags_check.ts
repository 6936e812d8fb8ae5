/**
 * Asks this Deno whether it takes the `worker_permissions` flags, before a
 * worker needs them. The setting's parser knows the flags' names, not what
 * each kind accepts after `=` (`--allow-sys=umask`, `--allow-net=a:b:c`):
 * Deno refuses those only when a worker starts, with its own stack trace and
 * exit code 1, for every worker. So the master runs `deno run FLAGS data:,`
 * once (about 15 ms, script mode only: a compiled binary's workers take no
 * flags), and when Deno refuses, once per flag to name the one it refuses.
 *
 * @example
 * ```ts
 * import { permissionFlagsProblem } from "./permission_flags_check.ts";
 * await permissionFlagsProblem(["--allow-sys=umask"], '"worker_permissions" from .env');
 * // `"worker_permissions" from .env has "--allow-sys=umask", which Deno refuses: unknown sys descriptor: 'umask'`
 * ```
 *
 * @module
 */
import { grantsAll } from "../settings/sections/server.ts";

/** A flag Deno refuses, and its reason in Deno's words. */
export interface RefusedFlag {
  flag: string;
  reason: string;
}

// A module with nothing in it: only the flags are put to the test.
const EMPTY_MODULE = "data:text/javascript,";

/**
 * The one line that refuses a start whose `worker_permissions` (`flags`,
 * given where `origin` says) this Deno refuses, or null. Script mode only:
 * a compiled binary's workers take no permission flags.
 *
 * @example
 * ```ts
 * import { permissionFlagsProblem } from "./permission_flags_check.ts";
 * await permissionFlagsProblem(["--allow-net=a:b:c"], '"worker_permissions" by default');
 * ```
 */
export async function permissionFlagsProblem(
  flags: readonly string[],
  origin: string,
  deno: string = Deno.execPath(),
): Promise<string | null> {
  if (Deno.build.standalone) return null;
  const refused = await refusedPermissionFlag(flags, deno);
  return refused === null
    ? null
    : `${origin} has "${refused.flag}", which Deno refuses: ${refused.reason}`;
}

/**
 * The first of `flags` this Deno refuses, or null when it takes them all
 * (or `all` grants everything, which needs no flag of the user's).
 */
async function refusedPermissionFlag(
  flags: readonly string[],
  deno: string = Deno.execPath(),
): Promise<RefusedFlag | null> {
  if (flags.length === 0 || grantsAll(flags)) return null;
  const together = await refusal(deno, flags);
  if (together === null) return null;
  for (const flag of flags) {
    const reason = await refusal(deno, [flag]);
    if (reason !== null) return { flag, reason };
  }
  // Refused together only (none is alone): name them all.
  return { flag: flags.join(" "), reason: together };
}

/** Deno's reason for refusing `flags` (its first line), or null when it runs. */
async function refusal(deno: string, flags: readonly string[]): Promise<string | null> {
  const { success, stderr } = await new Deno.Command(deno, {
    args: ["run", "--no-config", "--no-prompt", ...flags, EMPTY_MODULE],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (success) return null;
  const first = new TextDecoder().decode(stderr).split("\n").find((line) => line.trim() !== "");
  return (first ?? "refused").replace(/^error: /, "");
}
