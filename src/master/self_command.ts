/**
 * The argv that re-executes this program, as a worker (`__worker`, from
 * its own entry point when the program is Herd's `main.ts`) or as a new
 * master (USR2). Pure: the runtime facts come in as data, so script and
 * compiled mode are both unit-tested on any machine.
 *
 * In script mode, Deno discovers `deno.json` from the script's directory. A
 * worker of Herd's `main.ts` runs Herd's own entry point, so the app's
 * project's configuration comes as data ({@linkcode SelfRuntime.configFlags},
 * see `app_project.ts`); a program that calls `serve()` is re-run itself and
 * finds its own. Deno exposes no API for the parent's runtime flags, so the
 * permissions are data ({@linkcode WORKER_PERMISSIONS}) rather than copied.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { WORKER_COMMAND } from "../ipc/protocol.ts";

/** Permission flags given to a re-executed script. Narrowing them is a data change. */
const WORKER_PERMISSIONS: readonly string[] = ["-A"];

/** What the runtime says about how this program runs. */
export interface SelfRuntime {
  /** `Deno.build.standalone`: true in a `deno compile` binary. */
  standalone: boolean;
  /** `Deno.execPath()`: the deno binary, or the compiled program. */
  execPath: string;
  /** `Deno.mainModule`: the entry point's URL. */
  mainModule: string;
  /** Permission flags for script mode; {@linkcode WORKER_PERMISSIONS} when omitted. */
  permissions?: readonly string[];
  /** `--config PATH` or `--no-config` for script mode; none: Deno discovers it. */
  configFlags?: readonly string[];
}

/**
 * The unstable features a worker needs (`reusePort`; a request's signal that aborts only
 * when its client goes away), given on its command line: deno.json's `"unstable"` is not
 * there for a program that calls `serve()` from a project of its own.
 */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-net", "--unstable-no-legacy-abort"];

/** A program and its arguments, ready for `Deno.Command`. */
export interface SelfCommand {
  command: string;
  args: string[];
}

/**
 * The command that runs this program again with `tail` as its arguments.
 *
 * @example
 * ```ts
 * import { selfCommand } from "./self_command.ts";
 * selfCommand(
 *   { standalone: false, execPath: "/usr/bin/deno", mainModule: "file:///srv/main.ts" },
 *   ["__worker"],
 * );
 * // { command: "/usr/bin/deno",
 * //   args: ["run", "-A", ...UNSTABLE_FLAGS, "--no-prompt", "/srv/main.ts", "__worker"] }
 * ```
 */
export function selfCommand(runtime: SelfRuntime, tail: readonly string[]): SelfCommand {
  if (runtime.standalone) return { command: runtime.execPath, args: [...tail] };
  const script = runtime.mainModule.startsWith("file:")
    ? fileURLToPath(runtime.mainModule)
    : runtime.mainModule;
  const permissions = runtime.permissions ?? WORKER_PERMISSIONS;
  const config = runtime.configFlags ?? [];
  return {
    command: runtime.execPath,
    args: ["run", ...permissions, ...config, ...UNSTABLE_FLAGS, "--no-prompt", script, ...tail],
  };
}

/** Herd's own entry point, which a worker does not re-run in script mode. */
export const HERD_MAIN: string = new URL("../../main.ts", import.meta.url).href;

/** The worker's entry point in script mode (see `src/worker/entry.ts` for why). */
export const WORKER_ENTRY: string = new URL("../worker/entry.ts", import.meta.url).href;

/**
 * The command that starts a worker: the worker's own entry point when this
 * program is Herd's `main.ts` run as a script, else this program again
 * (a compiled binary, or a program that calls `serve()`).
 *
 * @example
 * ```ts
 * import { HERD_MAIN, workerCommand } from "./self_command.ts";
 * workerCommand({ standalone: false, execPath: "/usr/bin/deno", mainModule: HERD_MAIN }).args;
 * // ["run", "-A", ...UNSTABLE_FLAGS, "--no-prompt", "/…/src/worker/entry.ts", "__worker"]
 * ```
 */
export function workerCommand(runtime: SelfRuntime): SelfCommand {
  const own = !runtime.standalone && runtime.mainModule === HERD_MAIN;
  return selfCommand(own ? { ...runtime, mainModule: WORKER_ENTRY } : runtime, [WORKER_COMMAND]);
}

/**
 * The facts about the running process that {@linkcode selfCommand} needs.
 *
 * @example
 * ```ts
 * import { currentRuntime, selfCommand } from "./self_command.ts";
 * selfCommand(currentRuntime(), ["__worker"]);
 * ```
 */
export function currentRuntime(): SelfRuntime {
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
  };
}

/**
 * The program that calls `serve()`, when this is one run as a script: its file path (its URL
 * when it is not a local file). Null for Herd's own `main.ts` and for a compiled binary.
 *
 * @example
 * ```ts
 * import { programPath } from "./self_command.ts";
 * programPath({ standalone: false, execPath: "/usr/bin/deno", mainModule: "file:///srv/svc.ts" });
 * // "/srv/svc.ts"
 * ```
 */
export function programPath(runtime: SelfRuntime): string | null {
  if (runtime.standalone || runtime.mainModule === HERD_MAIN) return null;
  const main = runtime.mainModule;
  return main.startsWith("file:") ? fileURLToPath(main) : main;
}
