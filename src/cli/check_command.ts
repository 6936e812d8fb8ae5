/**
 * `herd check [APP]`: validate the configuration, the workers' user and the
 * paths `serve` makes at start (as `serve` would, run by this user on this
 * machine), and import the app as this user and as a worker would (with the
 * workers' permissions and user, in a process of their own), then exit. Safe to
 * run in CI or before a deploy.
 *
 * @example
 * ```ts
 * import { runCheck } from "./check_command.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * Deno.exitCode = await runCheck(resolved, { cwd: Deno.cwd() });
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import { originsOf, type Resolved } from "../settings/resolved.ts";
import { listenAddresses } from "../settings/addresses.ts";
import { type AddressState, probeTcpAddress, unixAddressState } from "../master/listener_check.ts";
import { ControlEndpoint, controlSocketRefusal } from "../master/control_server.ts";
import { controlSocketPath } from "../ipc/control_path.ts";
import { heldPidfile } from "../master/pidfile.ts";
import { metricsAddress } from "../master/metrics_server.ts";
import type { Embedded } from "../embedded.ts";
import { resolveWorkerUser, type WorkerUser } from "../master/worker_user.ts";
import { permissionFlagsProblem } from "../master/permission_flags_check.ts";
import { blockingAncestor, missingParent } from "../platform/path_exists.ts";
import { printProbeOutput, probeWorkerImport } from "../master/probe_worker_import.ts";
import { loadTlsPair } from "../master/tls_check.ts";
import { ExitCode } from "../ipc/protocol.ts";
import { prepareLogTargets } from "../logging/setup.ts";

/**
 * Imports the app; prints `Configuration OK (…)` and returns 0, or prints
 * the errors and returns the exit code `serve` would stop with for the first
 * (2 bad configuration, 4 the app failed to load, 5 an address cannot be
 * listened on), so a deploy script reads both alike.
 *
 * @example
 * ```ts
 * import { runCheck } from "./check_command.ts";
 * import type { Resolved } from "../settings/resolved.ts";
 * declare const resolved: Resolved;
 * await runCheck(resolved, { cwd: "/srv/app" }); // 0
 * ```
 */
export async function runCheck(
  resolved: Resolved,
  options: { cwd: string; embedded?: Embedded; strays?: () => number },
): Promise<number> {
  // What serve refuses before starting anything, as this user on this machine.
  const origin = originsOf(resolved);
  const workerUser = resolveWorkerUser(resolved.settings, Deno.uid(), origin);
  if (typeof workerUser === "string") {
    console.error(`error: ${workerUser}`);
    return ExitCode.Usage;
  }
  // In serve's order, so the first problem's exit code is the one serve would stop with.
  const { problems, notes } = await pathProblems(resolved.settings, options.cwd, workerUser);
  // Whether this user can make the log directories and files serve makes, without making them.
  const unusableLog = await prepareLogTargets(resolved.settings, origin, { dryRun: true });
  if (unusableLog !== null) problems.unshift({ message: unusableLog, code: ExitCode.Usage });
  const refusedFlags = await permissionFlagsProblem(
    resolved.settings.worker_permissions,
    origin("worker_permissions"),
  );
  if (refusedFlags) problems.unshift({ message: refusedFlags, code: ExitCode.Usage });
  if (problems.length > 0) {
    for (const { message } of problems) console.error(`error: ${message}`);
    return problems[0].code;
  }
  const { app } = resolved.settings;
  // Both in throwaway processes: an app's import may never return, end the process, or start
  // timers that throw later. First with every permission, then as a worker: an app that only
  // the second refuses needs worker_permissions. (A program that calls serve() has loaded its
  // app with every permission already, to run this check.)
  const anyway = options.embedded
    ? null
    : await probeWorkerImport(resolved, workerUser, { everyPermission: true });
  const inWorker = anyway ?? await probeWorkerImport(resolved, workerUser);
  if (inWorker) {
    const message = anyway === null && inWorker.kind === "import"
      ? `A worker cannot load what this check loaded with every permission: ${inWorker.message}`
      : inWorker.message;
    // As serve prints it: the stack (at debug) first, the line that says what to do last.
    printProbeOutput(inWorker, resolved.settings.log_level);
    console.error(`error: ${message}`);
    return inWorker.kind === "import" ? ExitCode.AppLoadError : ExitCode.Usage;
  }
  // A promise or timer of config.ts failed meanwhile (reported as it happened).
  if ((options.strays?.() ?? 0) > 0) return ExitCode.Usage;
  console.log(
    options.embedded
      ? "Configuration OK (config given to serve(), app given to serve())"
      : `Configuration OK (${resolved.configPath ?? "no config.ts"}, app ${
        app ?? "embedded default app"
      })`,
  );
  for (const note of notes) console.error(`note: ${note}`);
  return 0;
}

/** What serve would refuse, and the exit code it would refuse it with. */
interface Problem {
  message: string;
  code: ExitCode;
}

// The paths and addresses serve uses at start: refused there before any worker runs, so here
// too. An address in use is a note: check also runs beside the Herd it is about to replace.
async function pathProblems(
  settings: Resolved["settings"],
  cwd: string,
  workerUser: WorkerUser,
): Promise<{ problems: Problem[]; notes: string[] }> {
  const problems: Problem[] = [];
  const bad = (message: string) => problems.push({ message, code: ExitCode.Usage });
  const notes: string[] = [];
  // serve opens the control socket (and makes its directory) before it writes the pidfile.
  const control = controlSocketPath(settings);
  try {
    await ControlEndpoint.tryOpen(control, {
      group: workerUser.gid,
      privateDirectory: settings.control_socket === null,
    });
  } catch (error) {
    const refusal = controlSocketRefusal(control, error);
    // Another master answers there: the one this check may run beside.
    if (refusal.code === ExitCode.BindError) {
      notes.push(`${refusal.message}; serve refuses to start while it is`);
    } else bad(refusal.message);
  }
  // serve writes the pidfile, making no directory for it.
  const pidfile = settings.pidfile;
  if (pidfile) {
    const path = resolve(cwd, pidfile);
    const dir = missingParent(path);
    const blocked = blockingAncestor(path);
    if (blocked !== null) bad(`"pidfile" has "${pidfile}": "${blocked}" is not a directory`);
    else if (dir !== null) bad(`"pidfile" has "${pidfile}": no directory "${dir}"`);
    else if (isDirectory(path)) bad(`"pidfile" has "${pidfile}": a directory`);
    const held = await heldPidfile(path);
    if (held !== null) {
      notes.push(
        `"pidfile" is "${pidfile}": it names process ${held}, which is running (a master?); ` +
          "serve refuses to start while it is",
      );
    }
  }
  // In serve's order: the binds, then the metrics address. One in use may be the Herd this
  // check runs beside: a note.
  const states: [string, AddressState][] = [];
  for (const address of listenAddresses(settings)) {
    if (address.transport === "unix") {
      states.push(["", await unixAddressState(resolve(cwd, address.path), { clearStale: false })]);
    } else if (address.port !== 0) states.push(["", await probeTcpAddress(address)]);
  }
  if (settings.metrics_bind) {
    const metrics = { transport: "tcp" as const, ...metricsAddress(settings.metrics_bind) };
    states.push(['"metrics_bind": ', await probeTcpAddress(metrics)]);
  }
  for (const [label, state] of states) {
    if (state.kind === "unusable") {
      problems.push({ message: label + state.problem, code: ExitCode.BindError });
    }
    if (state.kind === "in_use") {
      notes.push(`${label}${state.problem}; serve refuses to start while it is`);
    }
  }
  // serve refuses a certificate or key it cannot read, or a pair that does not match (exit 2).
  const tls = await loadTlsPair(settings);
  if (typeof tls === "string") bad(tls);
  return { problems, notes };
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
