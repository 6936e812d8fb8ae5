/**
 * `herd serve`: the master's entry. Checks the workers' user and permission
 * flags, prepares the log files, installs signal listeners that only queue
 * events, checks the addresses, preloads the app (in a probe process), opens
 * the metrics endpoint (if `metrics_bind` is set) and the control socket,
 * writes the pidfile, and runs the {@linkcode Arbiter} until it decides the
 * exit code; then cleans up after itself.
 *
 * @module
 */
import { controlSocketPath } from "../ipc/control_path.ts";
import { ExitCode } from "../ipc/protocol.ts";
import { getLog } from "../logging/log.ts";
import {
  configureLogging,
  flushLogs,
  prepareLogTargets,
  removeIfUnused,
  reopenLogs,
} from "../logging/setup.ts";
import { logFile } from "../logging/line_writer.ts";
import { errorMessage, firstLine, osErrorReason } from "../error_text.ts";
import { effectiveCpuCount } from "../platform/cpus.ts";
import { listenAddresses } from "../settings/addresses.ts";
import { originsOf, type Resolved } from "../settings/resolved.ts";
import { Arbiter } from "./arbiter.ts";
import { ControlEndpoint, controlSocketRefusal } from "./control_server.ts";
import { EventQueue, type MasterSignal, systemClock } from "./events.ts";
import { listenForSignals } from "./signal_intake.ts";
import { addressRefusal, freePort, refuseBusyAddresses } from "./listener_check.ts";
import { runMasterHook } from "./master_hooks.ts";
import { type MetricsEndpoint, openMetricsEndpoint, workforceSnapshot } from "./metrics_server.ts";
import { clearRetiredPidfile, pidfileRefusal, removePidfile, writePidfile } from "./pidfile.ts";
import type { Timer } from "../platform/timer.ts";
import { denoProcessDriver } from "./process_driver.ts";
import {
  notHeldBy,
  stopPredecessor,
  takeUpgradeAddresses,
  takeUpgradeFrom,
  upgradeMaster,
} from "./reexec.ts";
import {
  changesFixedSettings,
  hintTcpMigrateReq,
  printBanner,
  refuseStart,
  releaseUnixSockets,
  reloadConfig,
  ReloadWatch,
} from "./startup.ts";
import { workerCount } from "./worker_count.ts";
import { handLogsTo, workerLaunch } from "./worker_launch.ts";
import { resolveWorkerUser, type WorkerUser } from "./worker_user.ts";
import { permissionFlagsProblem } from "./permission_flags_check.ts";
import { printProbeOutput, probeWorkerImport } from "./probe_worker_import.ts";
import { guardInspectorSignal } from "../platform/inspector_guard.ts";
import type { Embedded } from "../embedded.ts";

/**
 * Runs the master until it stops; resolves with the process exit code.
 * `args` are the command line after `serve`, re-read on HUP. `embedded` is
 * set when a program runs Herd with `serve(app, config)`.
 *
 * @example
 * ```ts
 * import { runMaster } from "./master.ts";
 * // Deno.exit(await runMaster(resolved, Deno.args.slice(1)));
 * ```
 */
export async function runMaster(
  resolved: Resolved,
  args: string[],
  options: { embedded?: Embedded } = {},
): Promise<number> {
  const settings = resolved.settings;
  const origin = originsOf(resolved);
  // Refused before anything is created: no log file is left behind by a start that cannot run.
  const workerUser = resolveWorkerUser(settings, Deno.uid(), origin);
  if (typeof workerUser === "string") return fail(workerUser, ExitCode.Usage);
  const refusedFlags = await permissionFlagsProblem(
    settings.worker_permissions,
    origin("worker_permissions"),
  );
  if (refusedFlags) return fail(refusedFlags, ExitCode.Usage);
  // The production profile logs to `logs/…`: create the directories first,
  // and refuse a start with one line when a log file cannot be opened.
  const made: string[] = [];
  const unusableLog = await prepareLogTargets(settings, origin, { made });
  if (unusableLog !== null) {
    await removeIfUnused(made);
    return fail(unusableLog, ExitCode.Usage);
  }
  const code = await serveLogged(resolved, args, { ...options, workerUser });
  // A start that failed leaves no empty log file or directory behind (the error log, with the
  // banner and the reason in it, stays).
  if (code !== ExitCode.Ok) await removeIfUnused(made);
  return code;
}

// The master's life once its log files exist.
async function serveLogged(
  resolved: Resolved,
  args: string[],
  options: { embedded?: Embedded; workerUser: WorkerUser },
): Promise<number> {
  const { settings } = resolved;
  const { workerUser } = options;
  const origin = originsOf(resolved);
  configureLogging({ role: "master", settings });
  const log = getLog("master");
  // A refused start is said on stderr, and in the error log too when that is a file.
  const refuse = (message: string, code: number) => {
    if (logFile(settings.error_log) !== null) log.error(message);
    return fail(message, code);
  };
  // First: until a listener exists, TERM, INT and QUIT end the master silently (HUP, TTIN,
  // TTOU and USR2 are held since main.ts's first line, see early_signals.ts).
  const queue = new EventQueue(systemClock);
  using signals = listenForSignals(queue);
  const stoppedEarly = (signal: MasterSignal) => {
    log.info(`${signal} before any worker started: exiting`);
    flushLogs();
    return ExitCode.Ok;
  };
  // Before the first spawn: every worker inherits the SIGUSR1 block it sets in this thread.
  guardInspectorSignal().then((outcome) => {
    if (!outcome.guarded) log.warning(`SIGUSR1 would open an inspector: ${outcome.reason}`);
  }, (error) => log.warning(`SIGUSR1 would open an inspector: ${errorMessage(error)}`));
  for (const warning of resolved.warnings) log.warning(warning);
  const upgradeFrom = takeUpgradeFrom();
  const predecessorAddresses = takeUpgradeAddresses();
  const predecessorPort = predecessorAddresses?.find((a) => a.transport === "tcp")?.port;
  // Port 0 is "any free port", chosen once: an upgraded master keeps its predecessor's.
  const port = settings.port === 0 && settings.bind.length === 0
    ? predecessorPort ?? freePort(settings.host)
    : settings.port;
  const addresses = listenAddresses({ ...settings, port });
  // What another program may hold: an upgrading master's predecessor listens on its own
  // addresses (all of them, when it did not say which).
  const unclaimed = upgradeFrom === null
    ? addresses
    : notHeldBy(addresses, predecessorAddresses ?? addresses);
  const start = await refuseStart(settings, {
    addresses: unclaimed,
    origin,
    signal: queue.stopSignal,
  });
  if (signals.stopRequested) return stoppedEarly(signals.stopRequested);
  if ("message" in start) return refuse(start.message, start.code);
  await handLogsTo(workerUser, [settings.error_log, settings.access_log]);
  await runMasterHook(
    { settings, workers: [] },
    { name: "on_starting", args: [] },
    queue.stopSignal,
  );
  // A program that calls serve() loaded its app already, with the master's permissions: the
  // probe still tells whether its workers can.
  if (settings.preload) {
    const stop = new AbortController();
    signals.stopped.then(() => stop.abort());
    const problem = await probeWorkerImport(resolved, workerUser, { signal: stop.signal });
    if (signals.stopRequested) return stoppedEarly(signals.stopRequested);
    if (problem) {
      printProbeOutput(problem, settings.log_level);
      return refuse(
        problem.message,
        problem.kind === "import" ? ExitCode.AppLoadError : ExitCode.Usage,
      );
    }
    // Again, now: another master started meanwhile (its preload overlapping this one) would
    // otherwise share the port with this one through SO_REUSEPORT without a word. This narrows
    // the window to the workers' boot; it does not close it.
    const again = await refuseBusyAddresses(unclaimed);
    if (again !== null) return refuse(addressRefusal(again, settings, origin), ExitCode.BindError);
  }
  const workers = workerCount(settings.workers, effectiveCpuCount, settings.worker_class);
  let arbiter: Arbiter | null = null;
  let metrics: MetricsEndpoint | null;
  try {
    metrics = openMetricsEndpoint(settings.metrics_bind, {
      // Served from the master: a scrape before the arbiter exists sees no workers.
      snapshot: () => arbiter ? workforceSnapshot(arbiter.workforce) : null,
      upgrading: upgradeFrom !== null,
    });
  } catch (error) {
    return refuse(`${errorMessage(error)} (${origin("metrics_bind")})`, ExitCode.BindError);
  }
  let control: ControlEndpoint;
  const controlPath = controlSocketPath(settings);
  try {
    control = await ControlEndpoint.open(controlPath, {
      queue,
      group: workerUser.gid,
      privateDirectory: settings.control_socket === null,
    });
  } catch (error) {
    await metrics?.close();
    const refusal = controlSocketRefusal(controlPath, error);
    return refuse(refusal.message, refusal.code);
  }
  // From here on, whatever ends the start (a pidfile that cannot be written, a watch the OS
  // refuses, an error) removes what was made: the socket, the pidfile, the metrics listener.
  using watch = new ReloadWatch(queue);
  // Set once this master, upgraded, has told its predecessor to go.
  const predecessorWatch: { timer: Timer | null } = { timer: null };
  try {
    if (settings.pidfile) {
      // One an upgrade's old master left when it was killed (its sockets: ControlEndpoint.open).
      if (upgradeFrom === null) await clearRetiredPidfile(settings.pidfile, null);
      try {
        await writePidfile(settings.pidfile, Deno.pid);
      } catch (error) {
        const refusal = pidfileRefusal(settings.pidfile, error);
        return refuse(refusal.message, refusal.code);
      }
    }
    printBanner(resolved, { addresses, workers, embeddedConfig: options.embedded !== undefined });
    await hintTcpMigrateReq();
    arbiter = new Arbiter({
      resolved: { ...resolved, tls: start.tls },
      workers,
      port,
      queue,
      driver: denoProcessDriver({
        control: () => control.workerPath,
        // Per spawn, from the worker's own configuration: a reload may move the app or the certs.
        launch: (config) =>
          workerLaunch(config, { user: workerUser, control: control.workerPath, port }),
      }),
      addresses,
      effects: {
        reloadConfig: async () => {
          const next = await reloadConfig(args, options.embedded?.config);
          if (!next.ok) return next;
          // The master's own log follows the new configuration too (level, target, format).
          const reloaded = next.resolved.settings;
          const fixed = changesFixedSettings(settings, reloaded);
          if (fixed) return { ok: false, problems: [fixed] };
          const unusableLog = await prepareLogTargets(reloaded, originsOf(next.resolved));
          if (unusableLog) return { ok: false, problems: [unusableLog] };
          try {
            configureLogging({ role: "master", settings: reloaded });
          } catch (error) {
            // The old sink is still in place: the reload is refused, the master keeps running.
            return { ok: false, problems: [`Cannot open the error log: ${firstLine(error)}`] };
          }
          await handLogsTo(workerUser, [reloaded.error_log, reloaded.access_log]);
          try {
            watch.follow(next.resolved);
          } catch (error) {
            log.warning(
              `Reload on change is off: cannot watch the app's files: ${osErrorReason(error)}`,
            );
          }
          return next;
        },
        reopenLogs: async () => {
          // The workers reopen the same paths: a directory moved away with the files (or a path
          // gone unwritable) is created or reported here, before they try.
          const current = arbiter?.workforce.resolved ?? resolved;
          const unusable = await prepareLogTargets(current.settings, originsOf(current));
          // The files it just made are root's: workers run as another user could not reopen them.
          await handLogsTo(workerUser, [current.settings.error_log, current.settings.access_log]);
          return [...(unusable ? [unusable] : []), ...reopenLogs()];
        },
        ...upgradeMaster({
          args,
          addresses,
          pidfile: settings.pidfile,
          control,
          queue,
          predecessor: upgradeFrom,
        }),
        ready: () => {
          predecessorWatch.timer = stopPredecessor(upgradeFrom, {
            pidfile: settings.pidfile || null,
            control: controlPath,
          });
          return Promise.resolve();
        },
      },
    });
    try {
      watch.follow(resolved);
    } catch (error) {
      return refuse(
        `Cannot watch the app's files (reload): ${osErrorReason(error)}`,
        ExitCode.Usage,
      );
    }
    if (signals.stopRequested) return stoppedEarly(signals.stopRequested);
    const code = await arbiter.run();
    log.info(`Master (pid: ${Deno.pid}) exiting with code ${code}`);
    // Said where it was started too: with the error log in a file, the terminal (or systemd's
    // status) would otherwise show a failed start without a word.
    const logPath = logFile(settings.error_log);
    if (arbiter.haltReason !== null && logPath !== null) {
      console.error(`error: ${arbiter.haltReason} (the error log "${logPath}" has the rest)`);
    }
    return code;
  } finally {
    predecessorWatch.timer?.cancel();
    await control.close();
    await metrics?.close();
    await releaseUnixSockets(addresses);
    // After a USR2 hand-over our pid is in `.oldbin`: the new master owns the pidfile.
    if (settings.pidfile) await removePidfile(settings.pidfile, Deno.pid);
    flushLogs();
  }
}

function fail(message: string, code: number): number {
  console.error(`error: ${message}`);
  flushLogs();
  return code;
}
