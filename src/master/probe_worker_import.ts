/**
 * Imports the app the way a worker will, in a throwaway process with the
 * workers' permissions and user, and reports what went wrong in one line.
 *
 * Two callers: `serve`'s `preload`, so an app that cannot load stops Herd
 * before any worker starts, and `check`, which itself runs with every
 * permission (an app that reads `DATABASE_URL` at import passed it and then
 * failed every worker). Herd's master never runs the app's code itself (a
 * program around `serve()` imports its app itself, and is probed as a
 * whole): a timer the app starts at import would otherwise throw in the
 * master and take the whole service down, an import that never returns
 * would hang it before its banner, `Deno.exit()` at import would end it
 * silently, and the app's import-time code would run with the master's `-A`,
 * as root when `user` is set.
 *
 * @example
 * ```ts
 * import { probeWorkerImport } from "./probe_worker_import.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * await probeWorkerImport(resolved, { uid: null, gid: null }); // null: workers can load it
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import type { Resolved } from "../settings/resolved.ts";
import { controlSocketPath } from "../ipc/control_path.ts";
import { logFile } from "../logging/line_writer.ts";
import { osErrorReason, workerPermissionAdvice } from "../error_text.ts";
import { after } from "../platform/timer.ts";
import { appProject } from "./app_project.ts";
import { workerConfigPath } from "./master_hooks.ts";
import { currentRuntime, programPath, selfCommand } from "./self_command.ts";
import { workerLaunch } from "./worker_launch.ts";
import { workerEnvironment } from "./worker_env.ts";
import type { WorkerUser } from "./worker_user.ts";
import { PROBE_ENV, PROBE_EXIT, type ProbeArgs } from "../ipc/protocol.ts";

const PROBE = new URL("../worker/import_probe.ts", import.meta.url).href;

/**
 * What kept a worker from loading: the app (or config.ts) would not import,
 * or not within `boot_timeout`, or ended the process; a log file or the
 * control socket is out of the workers' reach; or no worker process could
 * start at all.
 */
export interface ProbeProblem {
  kind: "import" | "unreachable" | "start";
  /** One line; `check` words an import problem against its own, which had every permission. */
  message: string;
  /** What the probe printed on stderr (a stack trace, with `log_level` debug). */
  output: string;
}

/**
 * Why a worker could not import the app (or config.ts, when workers import
 * it) or reach its log files, or null when it can, and when nothing narrows
 * the workers (a compiled binary's workers have what the binary has). The
 * probe is killed at `boot_timeout`, or when `signal` aborts (null then).
 * `everyPermission`: as the master's user with `-A` instead (what `check`
 * compares with).
 *
 * @example
 * ```ts
 * import { probeWorkerImport } from "./probe_worker_import.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * const problem = await probeWorkerImport(resolved, { uid: null, gid: null });
 * if (problem) console.error(`error: ${problem.message}`);
 * ```
 */
export async function probeWorkerImport(
  resolved: Resolved,
  user: WorkerUser,
  options: { signal?: AbortSignal; everyPermission?: boolean } = {},
): Promise<ProbeProblem | null> {
  const runtime = currentRuntime();
  if (runtime.standalone) return null;
  // A program that calls serve() imports its app itself: it is run as its own probe.
  const program = programPath(runtime);
  const s = resolved.settings;
  if (options.everyPermission) user = { uid: null, gid: null };
  const launch = workerLaunch(resolved, { user, control: controlSocketPath(s), port: s.port });
  const permissions = options.everyPermission ? ["-A"] : launch.runtime!.permissions;
  const probeArgs: ProbeArgs = {
    app: program === null ? s.app ?? "" : "",
    config: workerConfigPath(resolved) ?? "",
    paths: [
      ...[s.error_log, s.access_log].map(logFile).filter((f) => f !== null)
        .map((f) => `log:${resolve(Deno.cwd(), f)}`),
      `control:${resolve(Deno.cwd(), controlSocketPath(s))}`,
    ],
  };
  const { command, args } = program === null
    ? selfCommand({ ...launch.runtime!, permissions, mainModule: PROBE }, [
      probeArgs.app,
      probeArgs.config,
      ...probeArgs.paths,
    ])
    : selfCommand({ ...launch.runtime!, permissions, mainModule: program }, ["__probe"]);
  const loading = program === null ? `app "${s.app ?? "(the default app)"}"` : `"${program}"`;
  const as = s.user === null || options.everyPermission ? "" : `as user "${s.user}"`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      // Closed when the master dies: the probe leaves too. Its stdout (an app may print
      // megabytes at import) is not kept; Deno's messages come without colours.
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
      // A process group of its own: a terminal's hangup or Ctrl-C, or `kill -- -PGID`, is the
      // master's to handle (it stops the probe on a stop). A program's imports run before it
      // could hold a signal itself.
      detached: true,
      // A worker's environment: the .env file's variables where the master's has none.
      env: {
        ...workerEnvironment(launch.env),
        NO_COLOR: "1",
        ...(program === null ? {} : { [PROBE_ENV]: JSON.stringify(probeArgs) }),
      },
      ...(user.uid !== null ? { uid: user.uid } : {}),
      ...(user.gid !== null ? { gid: user.gid } : {}),
    }).spawn();
  } catch (error) {
    // Deno says `Failed to spawn '<command>': Permission denied (os error 13)`, for the
    // command or for the working directory the child enters first.
    const reason = osErrorReason(error).replace(/^Failed to spawn '[^']*': /, "");
    const message = `A worker cannot start${
      as ? ` ${as}` : ""
    }: cannot run "${command}" in "${Deno.cwd()}": ${reason}`;
    return { kind: "start", message, output: "" };
  }
  // An import that never finishes (a top-level await, a loop): a worker would be killed at
  // boot_timeout too.
  let timedOut = false;
  const timer = after(s.boot_timeout * 1000, () => {
    timedOut = true;
    child.kill("SIGKILL");
  });
  const stop = () => child.kill("SIGKILL");
  options.signal?.addEventListener("abort", stop, { once: true });
  const [{ code, signal }, output] = await Promise.all([child.status, lastBytes(child.stderr)]);
  await child.stdin.close().catch(() => {});
  timer.cancel();
  options.signal?.removeEventListener("abort", stop);
  if (options.signal?.aborted) return null;
  if (timedOut) {
    return {
      kind: "import",
      message: `The app did not finish loading within boot_timeout (${s.boot_timeout} s): ` +
        "a top-level await that never settles, or a loop?",
      output,
    };
  }
  if (code === PROBE_EXIT.loaded) return null;
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  // Deno's own `error: ...` line when it stopped the import itself (a top-level await that
  // never settles, an error thrown later by the import's async work): then a backtrace.
  // Deno puts what went wrong on the line after "Caused by:" (a deno.json that does not parse).
  const causedBy = lines.indexOf("Caused by:");
  const cause = causedBy === -1 ? undefined : lines[causedBy + 1]?.trim();
  const denoError = lines.find((l) => l.startsWith("error: "))?.slice(7)
    .replace(/\.?$/, cause ? `: ${cause}` : "");
  const ownLine = code === PROBE_EXIT.import || code === PROBE_EXIT.unreachable;
  const message = ownLine && lines.length > 0
    ? lines.at(-1)!
    : denoError !== undefined
    ? `Cannot import ${loading}: ${
      workerPermissionAdvice(denoError.replace(/^Uncaught (\(in promise\) )?/, ""))
    }`
    : signal !== null
    ? `The process loading ${loading} as a worker would was killed by ${signal}`
    : program !== null
    ? `${loading} ended (exit code ${code}) without calling serve(), run as its workers are ` +
      "(with worker permissions): it must call serve() whatever its arguments"
    : `The app ended the process while loading (exit code ${code}): an app must not call ` +
      "Deno.exit() at import";
  const suffix = (as && !message.includes(as) ? ` (${as})` : "") + packageJsonHint(s.app, message);
  return {
    kind: code === PROBE_EXIT.unreachable ? "unreachable" : "import",
    message: message + suffix,
    // What led to its own line (the stack, at debug), without the line itself.
    output: ownLine ? lines.slice(0, -1).join("\n") : output,
  };
}

// A bare import a package.json declares fails in a worker when no deno.json can carry it.
function packageJsonHint(app: string | null, message: string): string {
  if (!message.includes("not a dependency")) return "";
  const dir = appProject(app).packageJsonOnly;
  return dir === null
    ? ""
    : `; Herd gives its workers the deno.json nearest the app, and "${dir}" ` +
      "has a package.json and no deno.json: add one beside it (`{}` will do)";
}

/**
 * Prints what led to `problem` (the app's stack) on stderr at `log_level` debug, before the
 * caller prints its one line: as `serve` and `check` both report it.
 *
 * @example
 * ```ts
 * import { printProbeOutput } from "./probe_worker_import.ts";
 * printProbeOutput({ kind: "import", message: "…", output: "Error: boom\n    at …" }, "debug");
 * ```
 */
export function printProbeOutput(problem: ProbeProblem, logLevel: string): void {
  if (logLevel === "debug" && problem.output.trim() !== "") console.error(problem.output.trimEnd());
}

/** The last `max` bytes of `stream`, as text: an app may print without end at import. */
async function lastBytes(stream: ReadableStream<Uint8Array>, max = 64 * 1024): Promise<string> {
  let kept = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = new Uint8Array(kept.length + chunk.length);
    joined.set(kept);
    joined.set(chunk, kept.length);
    kept = joined.length > max ? joined.slice(joined.length - max) : joined;
  }
  return new TextDecoder().decode(kept);
}
