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
import { hostPort, type ListenAddress, listenAddresses } from "../settings/addresses.ts";
import {
  addressRefusal,
  addressStates,
  connectHost,
  probeTcpAddress,
  whileInUse,
} from "../master/listener_check.ts";
import { ControlEndpoint, controlSocketRefusal } from "../master/control_server.ts";
import {
  controlSocketPath,
  movedAsidePath,
  sameService,
  serviceIdentity,
} from "../ipc/control_path.ts";
import { runningMasters } from "./control_commands.ts";
import { notHeldBy } from "../master/reexec.ts";
import { pidfileRefusal, writePidfile } from "../master/pidfile.ts";
import { metricsAddress } from "../master/metrics_server.ts";
import type { Embedded } from "../embedded.ts";
import { resolveWorkerUser, type WorkerUser } from "../master/worker_user.ts";
import { permissionFlagsProblem } from "../master/permission_flags_check.ts";
import {
  printProbeOutput,
  type ProbeProblem,
  probeWorkerImport,
} from "../master/probe_worker_import.ts";
import { loadTlsPair } from "../master/tls_check.ts";
import { ExitCode } from "../ipc/protocol.ts";
import { prepareLogTargets } from "../logging/setup.ts";

/**
 * Imports the app; prints `Configuration OK (…)` and returns 0, or prints
 * the errors, in the order `serve` meets them, and returns the exit code
 * `serve` would stop with at the first (2 bad configuration, 3 a worker
 * failed to boot: the app, without `preload`; 4 the app failed to load,
 * 5 an address cannot be listened on), so a deploy script reads both alike.
 * What a running Herd holds (an address, the control socket, the pidfile) is
 * a note, as `check` also runs beside the Herd it is about to replace; when
 * something else fails, `serve` started now would stop there, and so does
 * the exit code. An address is taken for the running Herd's only when a
 * master answers at the control socket these settings name: another
 * program's is `serve`'s refusal, and `check`'s.
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
  const { settings } = resolved;
  // What serve refuses before starting anything, as this user on this machine.
  const origin = originsOf(resolved);
  const workerUser = resolveWorkerUser(settings, Deno.uid(), origin);
  if (typeof workerUser === "string") {
    console.error(`error: ${workerUser}`);
    return ExitCode.Usage;
  }
  // serve's steps in its order: what it checks before it preloads the app, then what it opens
  // after; without preload, the workers load the app once all that is open.
  const before = await setupProblems(resolved, options.cwd);
  const after = await openingProblems(settings, options.cwd, workerUser, origin);
  const problems = [...before, ...after];
  const at = settings.preload ? before.length : problems.length;
  // The app is loaded only when serve would get that far.
  if (!problems.slice(0, at).some(failsAnyway)) {
    const app = await appProblem(resolved, workerUser, options.embedded !== undefined);
    if (app !== null) problems.splice(at, 0, app);
  }
  if (problems.some(failsAnyway)) {
    for (const problem of problems) {
      if (problem.probe) printProbeOutput(problem.probe, settings.log_level);
      console.error(`error: ${problem.message}`);
    }
    return problems[0].code;
  }
  // A promise or timer of config.ts failed meanwhile (reported as it happened).
  if ((options.strays?.() ?? 0) > 0) return ExitCode.Usage;
  console.log(
    options.embedded
      ? "Configuration OK (config given to serve(), app given to serve())"
      : `Configuration OK (${resolved.configPath ?? "no config.ts"}, app ${
        settings.app ?? "embedded default app"
      })`,
  );
  for (const { message } of problems) {
    console.error(`note: ${message}; serve refuses to start while it is`);
  }
  return 0;
}

/** What serve would refuse, and the exit code it would refuse it with. */
interface Problem {
  message: string;
  code: ExitCode;
  /**
   * Held by a running Herd (an address, the control socket, the pidfile): perhaps the one
   * this check runs beside and is about to replace. A note unless check fails anyway.
   */
  held?: boolean;
  /** The app's probe, whose output (its stack, at debug) goes before the line. */
  probe?: ProbeProblem;
}

function failsAnyway(problem: Problem): boolean {
  return !problem.held;
}

// What serve checks before it loads the app: the workers' permission flags, the log files,
// the TLS pair, the addresses.
async function setupProblems(resolved: Resolved, cwd: string): Promise<Problem[]> {
  const { settings } = resolved;
  const origin = originsOf(resolved);
  const problems: Problem[] = [];
  const bad = (message: string) => problems.push({ message, code: ExitCode.Usage });
  const refusedFlags = await permissionFlagsProblem(
    settings.worker_permissions,
    origin("worker_permissions"),
  );
  if (refusedFlags) bad(refusedFlags);
  // Whether this user can make the log directories and files serve makes, without making them.
  const unusableLog = await prepareLogTargets(settings, origin, { dryRun: true });
  if (unusableLog !== null) bad(unusableLog);
  // serve refuses a certificate or key it cannot read, or a pair that does not match (exit 2).
  const tls = await loadTlsPair(settings);
  if (typeof tls === "string") bad(tls);
  const addresses = from(cwd, listenAddresses(settings));
  let running: Promise<ListenAddress[]> | undefined;
  // As serve does: an address in use is checked again, a second apart, before it counts (the
  // workers of a master killed a moment ago still let go of it). Not the running master's (a
  // note), and not after a problem above: serve stops at that before it looks at an address.
  const waits = problems.length === 0;
  const found = await whileInUse(async () => {
    const result: Problem[] = [];
    let inUse: string | null = null;
    for await (const state of addressStates(addresses, { clearStale: false })) {
      if (state.kind === "free") continue;
      const held = state.kind === "in_use" &&
        notHeldBy([state.address], await (running ??= runningServiceAddresses(resolved)))
            .length === 0;
      if (state.kind === "in_use" && !held && waits) inUse ??= state.problem;
      result.push({
        message: addressRefusal(state, settings, origin),
        code: ExitCode.BindError,
        held,
      });
    }
    return { result, inUse };
  }, { onRetry: (line) => console.error(`note: ${line}, as serve does`) });
  return [...problems, ...found];
}

/**
 * Whether what listens on the metrics address is a Herd master's metrics endpoint (its
 * `/metrics` has Herd's families): the running Herd's, which this check may be run to replace,
 * and not another program's, which `serve` would be refused.
 */
async function servesHerdMetrics(address: { hostname: string; port: number }): Promise<boolean> {
  const url = `http://${hostPort({ ...address, hostname: connectHost(address.hostname) })}/metrics`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(METRICS_PROBE_MS) });
    return (await res.text()).includes("herd_workers");
  } catch {
    return false;
  }
}

/** How long check waits for a busy metrics address to answer `/metrics`. */
const METRICS_PROBE_MS = 1000;

/**
 * What the running master of the service `resolved` configures listens on, as it says
 * (`status`): an address in use there is its own, which this check may be run to replace (a
 * USR2 upgrade keeps those, whatever their host, and checks the others as a fresh start does).
 * That master is this user's one at the control socket the configuration names (or where an
 * upgrade moves it aside) or, with no `control_socket` set, one running the same program with
 * the same config.ts (see `sameService`), or serving exactly the same TCP ports (started with
 * another spelling of its address). Not another service's master that shares a port with it.
 */
async function runningServiceAddresses(resolved: Resolved): Promise<ListenAddress[]> {
  const { settings } = resolved;
  const path = controlSocketPath(settings);
  const named = [path, movedAsidePath(path)];
  const masters = await runningMasters(named);
  const me = serviceIdentity(resolved.configPath);
  const ports = tcpPorts(listenAddresses(settings));
  return masters.flatMap(({ path: at, master }) => {
    const ours = named.includes(at) ||
      (settings.control_socket === null &&
        (sameService(master.service, me) || sameSet(tcpPorts(master.addresses), ports)));
    // Its Unix sockets as it named them, from where it runs.
    return ours ? from(master.service.cwd, master.addresses) : [];
  });
}

// `addresses` with each Unix socket's path as seen from `cwd`.
function from(cwd: string, addresses: readonly ListenAddress[]): ListenAddress[] {
  return addresses.map((a) => a.transport === "unix" ? { ...a, path: resolve(cwd, a.path) } : a);
}

function tcpPorts(addresses: readonly ListenAddress[]): number[] {
  return addresses.flatMap((a) => a.transport === "tcp" ? [a.port] : []);
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const [x, y] = [new Set(a), new Set(b)];
  return x.size > 0 && x.size === y.size && [...x].every((n) => y.has(n));
}

// Whether the app loads: first with every permission, then as a worker would (an app that
// only the second refuses needs worker_permissions), both in throwaway processes, as an app's
// import may never return, end the process, or start timers that throw later. A program that
// calls serve() has loaded its app with every permission already, to run this check.
async function appProblem(
  resolved: Resolved,
  workerUser: WorkerUser,
  embedded: boolean,
): Promise<Problem | null> {
  const anyway = embedded ? null : await probeWorkerImport(resolved, workerUser, {
    everyPermission: true,
  });
  const probe = anyway ?? await probeWorkerImport(resolved, workerUser);
  if (probe === null) return null;
  const message = anyway === null && probe.kind === "import"
    ? `A worker cannot load what this check loaded with every permission: ${probe.message}`
    : probe.message;
  // Preloaded, as serve reports it; else the first workers fail to boot, and serve stops.
  const code = !resolved.settings.preload
    ? ExitCode.WorkerBootError
    : probe.kind === "import"
    ? ExitCode.AppLoadError
    : ExitCode.Usage;
  return { message, code, probe };
}

// What serve opens once the app loaded, in its order: the metrics listener, the control
// socket, the pidfile.
async function openingProblems(
  settings: Resolved["settings"],
  cwd: string,
  workerUser: WorkerUser,
  origin: ReturnType<typeof originsOf>,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (settings.metrics_bind) {
    const metrics = { transport: "tcp" as const, ...metricsAddress(settings.metrics_bind) };
    const state = await probeTcpAddress(metrics);
    if (state.kind !== "free") {
      problems.push({
        message: `${state.problem} (${origin("metrics_bind")})`,
        code: ExitCode.BindError,
        held: state.kind === "in_use" && await servesHerdMetrics(metrics),
      });
    }
  }
  const control = controlSocketPath(settings);
  try {
    await ControlEndpoint.tryOpen(control, {
      group: workerUser.gid,
      privateDirectory: settings.control_socket === null,
    });
  } catch (error) {
    const refusal = controlSocketRefusal(control, error);
    // Another master answers there: the one this check may run beside.
    problems.push({ ...refusal, held: refusal.code === ExitCode.BindError });
  }
  // serve writes the pidfile last, making no directory for it.
  if (settings.pidfile) {
    try {
      await writePidfile(resolve(cwd, settings.pidfile), Deno.pid, { dryRun: true });
    } catch (error) {
      // Another master's: the one this check may run beside.
      const held = error instanceof Deno.errors.AlreadyExists;
      problems.push({ ...pidfileRefusal(settings.pidfile, error), held });
    }
  }
  return problems;
}
