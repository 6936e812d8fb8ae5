/**
 * `herd serve`: the master's entry. Checks the addresses, preloads the app,
 * writes the pidfile, opens the control socket, installs signal listeners
 * that only queue events, and runs the {@linkcode Arbiter} until it decides
 * the exit code; then cleans up after itself.
 *
 * @module
 */
import { controlSocketPath } from "../ipc/control_path.ts";
import { ExitCode } from "../ipc/protocol.ts";
import { getLog } from "../logging/log.ts";
import { configureLogging, flushLogs, reopenLogs } from "../logging/setup.ts";
import { effectiveCpuCount } from "../platform/cpus.ts";
import { formatAddress, listenAddresses } from "../settings/addresses.ts";
import type { Resolved } from "../settings/resolved.ts";
import { Arbiter } from "./arbiter.ts";
import { ControlEndpoint } from "./control_server.ts";
import { EventQueue, MASTER_SIGNALS, systemClock } from "./events.ts";
import { firstAddressInUse, freePort } from "./listener_check.ts";
import { runMasterHook } from "./master_hooks.ts";
import { removePidfile, writePidfile } from "./pidfile.ts";
import { denoProcessDriver } from "./process_driver.ts";
import { takeUpgradeFrom, upgradeMaster } from "./reexec.ts";
import { hintTcpMigrateReq, preloadApp, printBanner, reloadConfig } from "./startup.ts";
import { workerCount } from "./worker_count.ts";
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
  await configureLogging({ role: "master", settings });
  const log = getLog("master");
  guardInspectorSignal().then((outcome) => {
    if (!outcome.guarded) log.warning(`SIGUSR1 would open an inspector: ${outcome.reason}`);
  });
  for (const warning of resolved.warnings) log.warning(warning);
  const upgradeFrom = takeUpgradeFrom();
  const port = settings.port === 0 && settings.bind.length === 0
    ? freePort(settings.host)
    : settings.port;
  const addresses = listenAddresses({ ...settings, port });
  if (upgradeFrom === null) {
    const busy = await firstAddressInUse(addresses);
    if (busy) {
      return fail(`Address ${busy.hostname}:${busy.port} is already in use`, ExitCode.BindError);
    }
  }
  await runMasterHook({ settings, workers: [] }, { name: "on_starting", args: [] });
  // An embedded app is already loaded: that is its preload.
  if (settings.preload && !options.embedded) {
    const problem = await preloadApp(settings.app);
    if (problem) return fail(problem, ExitCode.AppLoadError);
  }
  const workers = workerCount(settings.workers, effectiveCpuCount);
  const queue = new EventQueue(systemClock);
  let control: ControlEndpoint;
  try {
    control = await ControlEndpoint.open(controlSocketPath(settings), queue);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), ExitCode.Error);
  }
  printBanner(resolved, { addresses, workers });
  await hintTcpMigrateReq();
  if (settings.pidfile) await writePidfile(settings.pidfile, Deno.pid);
  const arbiter = new Arbiter({
    resolved,
    workers,
    port,
    queue,
    driver: denoProcessDriver({ control: control.path }),
    addresses: addresses.map((a) => formatAddress(a)).join(", "),
    effects: {
      reloadConfig: () => reloadConfig(args, options.embedded?.config),
      reopenLogs: () => Promise.resolve(reopenLogs()),
      upgrade: upgradeMaster({ args, pidfile: settings.pidfile, control }),
      ready: () => Promise.resolve(retire(upgradeFrom)),
    },
  });
  const removers = MASTER_SIGNALS.map((signal) => {
    const push = () => queue.push({ kind: "signal", signal });
    Deno.addSignalListener(signal, push);
    return () => Deno.removeSignalListener(signal, push);
  });
  try {
    const code = await arbiter.run();
    log.info(`Master (pid: ${Deno.pid}) exiting with code ${code}`);
    return code;
  } finally {
    for (const remove of removers) remove();
    await control.close();
    if (settings.pidfile) await removePidfile(settings.pidfile, Deno.pid);
    flushLogs();
  }
}

function fail(message: string, code: number): number {
  console.error(`error: ${message}`);
  flushLogs();
  return code;
}

// An upgraded master, once its workers serve, tells its predecessor to drain and exit.
function retire(predecessor: number | null): void {
  if (predecessor === null) return;
  getLog("master").info(`Upgrade complete: stopping the old master (pid: ${predecessor})`);
  try {
    Deno.kill(predecessor, "SIGTERM");
  } catch {
    // Already gone: nothing to retire.
  }
}
