/**
 * USR2: start a new master from the same program and arguments. The new
 * master is told its predecessor's pid ({@linkcode UPGRADE_ENV}) and
 * addresses ({@linkcode UPGRADE_ADDRESSES_ENV}), checks only the addresses
 * we do not serve for another program listening there, starts its own
 * workers beside ours on the same port, and once they are all ready sends
 * us SIGTERM, so we drain and exit.
 *
 * @module
 */
import { errorMessage, osErrorReason } from "../error_text.ts";
import { getLog } from "../logging/log.ts";
import { clearGoneMasterSockets, type ControlEndpoint } from "./control_server.ts";
import { clearRetiredPidfile, retirePidfile } from "./pidfile.ts";
import { every, type Timer } from "../platform/timer.ts";
import type { EventQueue } from "./events.ts";
import { currentRuntime, selfCommand } from "./self_command.ts";
import type { ListenAddress } from "../settings/addresses.ts";

/** Set in a new master's environment to the pid of the master it replaces. */
export const UPGRADE_ENV = "_HERD_UPGRADE_FROM";

/**
 * Environment variable that hands the new master the addresses the old one
 * serves on (JSON): the new master checks only the others for another
 * program listening there, and keeps the old port when its `port` is 0
 * (resolving "any free port" again would move the service).
 */
export const UPGRADE_ADDRESSES_ENV = "_HERD_UPGRADE_ADDRESSES";

/**
 * Reads and clears {@linkcode UPGRADE_ENV}, so neither our workers nor a
 * later upgrade inherit it. Returns the old master's pid, or null.
 *
 * @example
 * ```ts
 * import { takeUpgradeFrom } from "./reexec.ts";
 * const oldMaster = takeUpgradeFrom();
 * ```
 */
export function takeUpgradeFrom(): number | null {
  const value = Deno.env.get(UPGRADE_ENV);
  Deno.env.delete(UPGRADE_ENV);
  const pid = Number(value);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/**
 * Reads and clears {@linkcode UPGRADE_ADDRESSES_ENV}: the addresses the old
 * master serves on, or null (no upgrade, or a value this version cannot
 * read).
 *
 * @example
 * ```ts
 * import { takeUpgradeAddresses } from "./reexec.ts";
 * const held = takeUpgradeAddresses(); // null unless started by USR2
 * ```
 */
export function takeUpgradeAddresses(): ListenAddress[] | null {
  const value = Deno.env.get(UPGRADE_ADDRESSES_ENV);
  Deno.env.delete(UPGRADE_ADDRESSES_ENV);
  if (value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.every(isListenAddress) ? parsed : null;
  } catch {
    return null;
  }
}

function isListenAddress(value: unknown): value is ListenAddress {
  if (typeof value !== "object" || value === null) return false;
  const a = value as Record<string, unknown>;
  if (a.transport === "unix") return typeof a.path === "string";
  return a.transport === "tcp" && typeof a.hostname === "string" &&
    Number.isInteger(a.port) && (a.port as number) > 0 && (a.port as number) < 65536;
}

/**
 * The addresses among `addresses` that the master being replaced does not
 * serve on (`held`): what an upgrading master must check like a fresh start.
 * A TCP port the old master serves is skipped whatever its host (a USR2 may
 * move `0.0.0.0:8000` to `127.0.0.1:8000`, which the old workers would make
 * look busy); a Unix socket, by its path.
 *
 * @example
 * ```ts
 * import { notHeldBy } from "./reexec.ts";
 * notHeldBy(
 *   [{ transport: "tcp", hostname: "127.0.0.1", port: 8000 }, { transport: "unix", path: "/run/h.sock" }],
 *   [{ transport: "tcp", hostname: "0.0.0.0", port: 8000 }],
 * ); // [{ transport: "unix", path: "/run/h.sock" }]
 * ```
 */
export function notHeldBy(
  addresses: readonly ListenAddress[],
  held: readonly ListenAddress[],
): ListenAddress[] {
  return addresses.filter((address) =>
    !held.some((h) =>
      address.transport === "tcp"
        ? h.transport === "tcp" && h.port === address.port
        : h.transport === "unix" && h.path === address.path
    )
  );
}

/**
 * Spawns the new master: `serve` with the original arguments, told our pid
 * and the addresses we serve on.
 */
function spawnSuccessor(
  args: readonly string[],
  addresses: readonly ListenAddress[],
): Deno.ChildProcess {
  const { command, args: argv } = selfCommand(currentRuntime(), ["serve", ...args]);
  return new Deno.Command(command, {
    args: argv,
    env: { [UPGRADE_ENV]: String(Deno.pid), [UPGRADE_ADDRESSES_ENV]: JSON.stringify(addresses) },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
}

/** What an upgrade hands over and, if the new master does not take over, takes back. */
export interface UpgradeOptions {
  /** The command line after `serve`. */
  args: readonly string[];
  /** The addresses this master serves on (the successor keeps the port when its `port` is 0). */
  addresses: readonly ListenAddress[];
  pidfile: string | null;
  control: ControlEndpoint;
  /** Where the new master's exit is told, as a `successor_exited` event. */
  queue: EventQueue;
  /**
   * The master this one replaced in an upgrade, or null. It started this one: while it lives
   * it is this process's parent (`Deno.ppid`), on any system.
   */
  predecessor: number | null;
}

/** The USR2 handler, and what undoes it when the new master does not take over. */
export interface Upgrader {
  /**
   * Moves the control socket aside, renames the pidfile to `.oldbin`, and starts the new
   * master; its exit is queued as a `successor_exited` event. One that cannot be started is
   * undone at once.
   */
  upgrade(): Promise<void>;
  /** Takes the pidfile and control socket back (the arbiter calls it unless it is stopping). */
  takeBack(status: Deno.CommandStatus): Promise<void>;
}

/**
 * The USR2 effects for the arbiter.
 *
 * @example
 * ```ts
 * import { upgradeMaster } from "./reexec.ts";
 * // const { upgrade, takeBack } = upgradeMaster({
 * //   args, addresses, pidfile: null, control, queue, predecessor: null,
 * // });
 * ```
 */
export function upgradeMaster(options: UpgradeOptions): Upgrader {
  const log = getLog("master");
  let successor: Deno.ChildProcess | null = null;
  let oldbin: string | null = null;
  let startedPid = 0;
  const restore = async () => {
    if (oldbin && options.pidfile) await Deno.rename(oldbin, options.pidfile).catch(() => {});
    oldbin = null;
    await options.control.takeBack().catch((error) => {
      log.error(`Cannot move the control socket back: ${errorMessage(error)}`);
    });
  };
  return {
    upgrade: async () => {
      if (successor) return log.warning("Upgrade ignored: a new master is already starting");
      // The old master exits once the new one serves: as a container's init (pid 1), or the only
      // child of one (tini), its exit ends the container, and the new master with it.
      const init = containerInit();
      if (init !== null) {
        return log.warning(
          `Upgrade ignored: ${init}, so the old master's exit would end the container; ` +
            "roll out the container instead",
        );
      }
      // Its socket and pidfile hold the `.oldbin` names until it has drained (as Gunicorn's
      // "Parent exists").
      const predecessor = options.predecessor;
      if (predecessor !== null && predecessorAlive(predecessor)) {
        return log.warning(
          `Upgrade ignored: the master this one replaced (pid: ${predecessor}) is still draining`,
        );
      }
      try {
        await options.control.handOver();
      } catch (error) {
        const where = options.control.path;
        return log.error(`Upgrade refused: cannot move "${where}" aside: ${osErrorReason(error)}`);
      }
      oldbin = options.pidfile ? await retirePidfile(options.pidfile).catch(() => null) : null;
      try {
        successor = spawnSuccessor(options.args, options.addresses);
      } catch (error) {
        log.error(
          `Upgrade failed: cannot start a new master: ${errorMessage(error)}; still serving`,
        );
        return await restore();
      }
      startedPid = successor.pid;
      log.info(`Upgrading: started a new master (pid: ${startedPid})`);
      successor.status.then((status) => {
        successor = null;
        options.queue.push({ kind: "successor_exited", status });
      });
    },
    takeBack: async (status) => {
      log.error(
        status.success
          ? `Upgrade abandoned: the new master (pid: ${startedPid}) exited before taking over; ` +
            "still serving"
          : `Upgrade failed: the new master exited with code ${status.code}; still serving`,
      );
      await restore();
    },
  };
}

/**
 * Whether the master that started this one by USR2 (`predecessor`) still
 * runs. It started this master, so while it lives it is this process's
 * parent: that needs no `/proc`, and a pid the system gave to another
 * process since is not mistaken for it.
 *
 * @example
 * ```ts
 * import { predecessorAlive } from "./reexec.ts";
 * predecessorAlive(Deno.ppid); // true
 * ```
 */
export function predecessorAlive(predecessor: number): boolean {
  return Deno.ppid === predecessor;
}

/**
 * An upgraded master, once its workers serve, tells its predecessor to
 * drain and exit; once it is gone, however it ended (a SIGKILL while it
 * drained), the names it moved aside are cleared where nothing holds them.
 * Returns the watch for that (to cancel when this master stops), or null.
 *
 * @example
 * ```ts
 * import { stopPredecessor } from "./reexec.ts";
 * const watch = stopPredecessor(null, { pidfile: null, control: "/run/herd/c.sock" }); // null
 * ```
 */
export function stopPredecessor(
  predecessor: number | null,
  names: { pidfile: string | null; control: string },
): Timer | null {
  if (predecessor === null) return null;
  const log = getLog("master");
  const clear = async () => {
    try {
      if (names.pidfile !== null) await clearRetiredPidfile(names.pidfile, predecessor);
      await clearGoneMasterSockets(names.control, predecessor);
    } catch (error) {
      log.warning(`Cannot clear the old master's names: ${errorMessage(error)}`);
    }
  };
  // It may have stopped by itself meanwhile (INT, QUIT), or been killed.
  if (!predecessorAlive(predecessor)) {
    log.info(`Upgrade complete: the old master (pid: ${predecessor}) is gone`);
    void clear();
    return null;
  }
  log.info(`Upgrade complete: stopping the old master (pid: ${predecessor})`);
  try {
    Deno.kill(predecessor, "SIGTERM");
  } catch {
    // Already gone: nothing to retire.
  }
  const gone = every(PREDECESSOR_POLL_MS, () => {
    if (predecessorAlive(predecessor)) return;
    gone.cancel();
    void clear();
  });
  return gone;
}

/** How often an upgraded master looks whether its predecessor has exited. */
const PREDECESSOR_POLL_MS = 1000;

// Inits that exit with their one child, and so end the container: `docker run --init` is tini.
const CONTAINER_INITS = new Set(["tini", "docker-init", "dumb-init"]);

// Why this master's exit ends its container, or null: it is the container's init, or the child
// of an init that exits with it. (Outside a container, pid 1 is systemd or the like, which a
// master outlives.)
function containerInit(): string | null {
  if (Deno.pid === 1) return "this master is pid 1 (a container's init)";
  if (Deno.ppid !== 1) return null;
  try {
    const init = Deno.readTextFileSync("/proc/1/comm").trim();
    return CONTAINER_INITS.has(init)
      ? `this master runs under ${init} (the container's init)`
      : null;
  } catch {
    return null;
  }
}
