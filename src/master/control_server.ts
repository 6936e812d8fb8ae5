/**
 * The master's side of the control socket: accepts connections, reads each
 * peer's first frame to learn who it is (a worker's `hello` or a control
 * command's `request`) and turns every frame into a {@linkcode MasterEvent}.
 * Answers to control requests are built here too.
 *
 * @module
 */
import { parentDirectory } from "../platform/path_exists.ts";
import { Channel, listenControl, tryListenControl } from "../ipc/channel.ts";
import { movedAsidePath, ownSocketPath, serviceIdentity } from "../ipc/control_path.ts";
import type { ListenAddress } from "../settings/addresses.ts";
import {
  clearStaleSocket,
  probeSocket,
  type SocketVerdict,
  socketVerdict,
  unixPathTooLong,
} from "./unix_socket.ts";
import { type ControlRequest, type ControlResponse, ExitCode } from "../ipc/protocol.ts";
import { getLog } from "../logging/log.ts";
import { VERSION } from "../version.ts";
import type { EventQueue, Link } from "./events.ts";
import type { Workforce } from "./workforce.ts";
import { errorMessage, osErrorReason } from "../error_text.ts";
import { after } from "../platform/timer.ts";
import { FailureEpisode } from "./failure_episode.ts";

// Accepts peers until the listener is closed. A failed accept (no file descriptor left: EMFILE
// under a flood of connections) leaves the listener open: it is tried again a moment later, as
// hyper's server does, for the workers report, and replacements announce themselves, through it.
async function serveControl(listener: Deno.Listener, queue: EventQueue): Promise<void> {
  // Under steady pressure accepts fail and succeed by turns: one line per episode, at most one
  // episode said every 10 s, not one pair per retry.
  const accepts = new FailureEpisode();
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      // The listener was closed (shutdown, an upgrade's hand-over): stop accepting.
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      if (accepts.failed()) {
        getLog("master").error(
          `Control socket: cannot accept a connection (${osErrorReason(error)}); ` +
            `trying again every ${ACCEPT_RETRY_MS} ms`,
        );
      }
      await new Promise<void>((resolve) => after(ACCEPT_RETRY_MS, resolve));
      continue;
    }
    if (accepts.passed()) getLog("master").info("Control socket: accepting connections again");
    readPeer(new Channel(conn), queue);
  }
}

/** How long the control socket waits after a failed accept before the next. */
const ACCEPT_RETRY_MS = 250;

async function readPeer(channel: Channel, queue: EventQueue): Promise<void> {
  let role: "unknown" | "worker" | "control" = "unknown";
  try {
    for await (const frame of channel) {
      if (role === "unknown" && frame.type === "hello") {
        role = "worker";
        queue.push({ kind: "hello", link: channel, hello: frame });
      } else if (role === "unknown" && frame.type === "request") {
        role = "control";
        queue.push({ kind: "control", link: channel, request: frame });
      } else if (
        role === "worker" &&
        (frame.type === "ready" || frame.type === "heartbeat" || frame.type === "boot_error" ||
          frame.type === "retire")
      ) {
        queue.push({ kind: "message", link: channel, message: frame });
      } else if (role === "unknown") {
        break;
      }
    }
  } catch (error) {
    const message = errorMessage(error);
    getLog("master").warning(`Closed a control connection: ${message}`);
  }
  channel.close();
  if (role === "worker") queue.push({ kind: "link_closed", link: channel });
}

/** What a `status` answer needs besides the workers. */
export interface MasterFacts {
  targetWorkers: number;
  startedAt: Date;
  now: number;
  /** What the master listens on. */
  addresses: readonly ListenAddress[];
}

/**
 * The answer to `status`: the master, one row per worker, restarts by reason.
 *
 * @example
 * ```ts
 * import { statusResponse } from "./control_server.ts";
 * // statusResponse(workforce, { targetWorkers: 2, startedAt: new Date(), now: performance.now(), addresses: [] });
 * ```
 */
export function statusResponse(workforce: Workforce, facts: MasterFacts): ControlResponse {
  const workers = [...workforce.workers.values()]
    .map((w) => w.status(facts.now))
    .sort((a, b) => a.id - b.id || a.generation - b.generation);
  return {
    type: "response",
    ok: true,
    master: {
      pid: Deno.pid,
      version: VERSION,
      startedAt: facts.startedAt.toISOString(),
      targetWorkers: facts.targetWorkers,
      addresses: [...facts.addresses],
      service: serviceIdentity(workforce.resolved.configPath),
    },
    workers,
    restarts: { ...workforce.restarts },
  };
}

/**
 * Answers one control request on `link`, then closes it.
 *
 * @example
 * ```ts
 * import { answerControl } from "./control_server.ts";
 * // await answerControl(link, { request, status: () => statusResponse(...), reopenLogs });
 * ```
 */
export async function answerControl(
  link: Link,
  handlers: {
    request: ControlRequest;
    status: () => ControlResponse;
    /** Resolves with why the logs could not all be reopened, or null. */
    reopenLogs: () => Promise<string | null>;
  },
): Promise<void> {
  let response: ControlResponse;
  if (handlers.request.command === "status") {
    response = handlers.status();
  } else if (handlers.request.command === "reopen_logs") {
    const problem = await handlers.reopenLogs();
    response = problem === null
      ? { type: "response", ok: true }
      : { type: "response", ok: false, error: problem };
  } else {
    const command = String((handlers.request as { command: unknown }).command);
    response = { type: "response", ok: false, error: `Unknown command "${command}"` };
  }
  await link.send(response);
  link.close();
}

/**
 * The control socket's listener. It listens at a path of this master's own,
 * `<path>.<pid>`, which never moves and is the one given to its workers; the
 * configured path is a second name (a hard link) for the same socket, the one
 * `status` and `reopen-logs` use. A USR2 upgrade hands that name over to the
 * new master ({@linkcode ControlEndpoint.handOver}) and takes it back if that
 * master does not take over ({@linkcode ControlEndpoint.takeBack}); a worker
 * started just before the hand-over still reaches this master, not the new
 * one (which would not know it).
 */
export class ControlEndpoint {
  readonly #home: string;
  readonly #own: string;
  #path: string;
  #queue: EventQueue;
  #listener: Deno.Listener | null = null;
  // The socket's inode: what close() may remove under the public name, and nothing else (it
  // may be a later master's since).
  #ino: number | null = null;

  readonly #group: number | null;
  readonly #privateDirectory: boolean;
  // Made for this socket (the private one, or a configured path's last directory): removed
  // with it, when empty.
  #ownDirectory = false;

  /**
   * Opens the socket at `path` and starts queueing its peers' frames.
   * `group`: the workers' gid when they run as another user, let in too;
   * `privateDirectory`: the socket's directory is Herd's own, whose mode it
   * sets even when it exists (see `listenControl`).
   *
   * @example
   * ```ts
   * import { ControlEndpoint } from "./control_server.ts";
   * import { EventQueue, systemClock } from "./events.ts";
   * const control = await ControlEndpoint.open("/tmp/herd-x/c.sock", {
   *   queue: new EventQueue(systemClock),
   * });
   * await control.close();
   * ```
   */
  static async open(
    path: string,
    options: { queue: EventQueue; group?: number | null; privateDirectory?: boolean },
  ): Promise<ControlEndpoint> {
    const tooLong = controlPathProblem(path);
    if (tooLong !== null) throw new Error(tooLong);
    const endpoint = new ControlEndpoint(path, options);
    await claim(path);
    await clearGoneMasterSockets(path, null);
    await claim(endpoint.#own);
    const { listener, ownDirectory } = await listenControl(endpoint.#own, {
      group: endpoint.#group,
      privateDirectory: endpoint.#privateDirectory,
    });
    endpoint.#listener = listener;
    endpoint.#ownDirectory = ownDirectory;
    try {
      endpoint.#ino = (await Deno.lstat(endpoint.#own)).ino;
      await linkClaimed(endpoint.#own, path);
    } catch (error) {
      await endpoint.close();
      throw error;
    }
    serveControl(listener, endpoint.#queue);
    return endpoint;
  }

  /**
   * Throws what {@linkcode ControlEndpoint.open} would at `path`, making,
   * removing and changing nothing (`check`). A stale socket there is no
   * problem: `open` replaces it.
   *
   * @example
   * ```ts
   * import { ControlEndpoint } from "./control_server.ts";
   * await ControlEndpoint.tryOpen("/tmp/herd-x/c.sock", { privateDirectory: false });
   * ```
   */
  static async tryOpen(
    path: string,
    options: { group?: number | null; privateDirectory?: boolean },
  ): Promise<void> {
    const tooLong = controlPathProblem(path);
    if (tooLong !== null) throw new Error(tooLong);
    refuseTaken(path, socketVerdict(await probeSocket(path)));
    await tryListenControl(ownSocketPath(path, Deno.pid), options);
  }

  private constructor(
    path: string,
    options: { queue: EventQueue; group?: number | null; privateDirectory?: boolean },
  ) {
    this.#home = path;
    this.#own = ownSocketPath(path, Deno.pid);
    this.#path = path;
    this.#queue = options.queue;
    this.#group = options.group ?? null;
    this.#privateDirectory = options.privateDirectory ?? false;
  }

  /** Where `status` finds it now: its configured path, or `<path>.oldbin` while handed over. */
  get path(): string {
    return this.#path;
  }

  /** The path this master's workers connect to: its own, which no other master takes. */
  get workerPath(): string {
    return this.#own;
  }

  /**
   * Frees the configured path for a new master: that name is renamed to `<path>.oldbin`, where
   * `status` still finds this master. Its workers' path does not move.
   */
  async handOver(): Promise<void> {
    if (this.#listener === null || this.#path !== this.#home) return;
    const aside = movedAsidePath(this.#home);
    await Deno.rename(this.#home, aside);
    this.#path = aside;
  }

  /** Moves the socket's name back to its configured path (the new master did not take over). */
  async takeBack(): Promise<void> {
    if (this.#listener === null || this.#path === this.#home) return;
    await claim(this.#home);
    await Deno.rename(this.#path, this.#home);
    this.#path = this.#home;
  }

  /** Stops accepting and removes the socket (and its directory, when Herd's own and empty). */
  async close(): Promise<void> {
    if (!this.#listener) return;
    // Deno unlinks the path a unix listener was opened at when it closes: this master's own.
    this.#listener.close();
    this.#listener = null;
    await Deno.remove(this.#own).catch(() => {});
    // The public name may have been taken since by a later master (its own hand-over).
    const ours = await Deno.lstat(this.#path).then((info) => info.ino === this.#ino, () => false);
    if (ours) await Deno.remove(this.#path).catch(() => {});
    // Not recursive: a successor that listens there keeps its socket (and directory).
    if (this.#ownDirectory) {
      await Deno.remove(parentDirectory(this.#home)).catch(() => {});
    }
  }
}

// Gives the public name to this master's socket. Another master started at the same moment may
// have linked it since the claim: then it is in use (exit 5), not an error of the configuration.
async function linkClaimed(own: string, path: string): Promise<void> {
  try {
    await Deno.link(own, path);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    await claim(path);
    await Deno.link(own, path);
  }
}

// The socket of a crashed run is replaced; a live one, or a file given by mistake, is not.
async function claim(path: string): Promise<void> {
  refuseTaken(path, await clearStaleSocket(path));
}

// Throws when `path` holds what the control socket must not replace.
function refuseTaken(path: string, verdict: SocketVerdict): void {
  if (verdict === "in_use") {
    throw new Deno.errors.AddrInUse(
      `Control socket "${path}" is in use: something answers there (another Herd master ` +
        "running with this configuration?)",
    );
  }
  if (verdict === "not_a_socket") {
    throw new Deno.errors.AlreadyExists(`"${path}" is taken by a file that is not a socket`);
  }
}

/**
 * Why `path` cannot be a control socket, or null: with the longer of the
 * suffixes Herd gives it (a master's own `.<pid>` up to this system's
 * largest pid, or `.oldbin` during an upgrade) it must fit a socket's path.
 *
 * @example
 * ```ts
 * import { controlPathProblem } from "./control_server.ts";
 * controlPathProblem("/run/herd/control.sock"); // null
 * ```
 */
export function controlPathProblem(path: string): string | null {
  // A master's own name, or the name a USR2 moves it to, whichever is longer.
  const own = ownSocketPath("", largestPid());
  const aside = movedAsidePath("");
  if (own.length < aside.length) return unixPathTooLong(path, aside);
  return unixPathTooLong(path, own)?.replace(own, ".<pid>") ?? null;
}

/**
 * What serve says, and the exit code it stops with, when the control socket
 * at `path` cannot be opened ({@linkcode ControlEndpoint.open} or
 * {@linkcode ControlEndpoint.tryOpen} threw `error`): 5 when another master
 * answers there, else 2.
 *
 * @example
 * ```ts
 * import { controlSocketRefusal } from "./control_server.ts";
 * controlSocketRefusal("/run/herd/c.sock", new Deno.errors.PermissionDenied("Permission denied"));
 * // { message: 'Cannot open the control socket "/run/herd/c.sock" (control_socket): Permission denied', code: 2 }
 * ```
 */
export function controlSocketRefusal(
  path: string,
  error: unknown,
): { message: string; code: ExitCode } {
  if (error instanceof Deno.errors.AddrInUse) {
    return { message: errorMessage(error), code: ExitCode.BindError };
  }
  return {
    message: `Cannot open the control socket "${path}" (control_socket): ${osErrorReason(error)}`,
    code: ExitCode.Usage,
  };
}

// This system's largest pid; without /proc, Linux's most (2^22).
function largestPid(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/sys/kernel/pid_max").trim()) || 4_194_304;
  } catch {
    return 4_194_304;
  }
}

/**
 * Removes what a master that is gone left beside `path`, where nothing answers any more: its
 * moved-aside name and its own socket (`predecessor`: that master's pid), or (null) every own
 * socket of a crashed master. A live master's names are left alone.
 *
 * @example
 * ```ts
 * import { clearGoneMasterSockets } from "./control_server.ts";
 * await clearGoneMasterSockets("/run/herd/c.sock", 4242);
 * ```
 */
export async function clearGoneMasterSockets(
  path: string,
  predecessor: number | null,
): Promise<void> {
  await clearStaleSocket(movedAsidePath(path));
  if (predecessor !== null) return void await clearStaleSocket(ownSocketPath(path, predecessor));
  const dir = parentDirectory(path);
  const prefix = path.slice(dir.length + 1) + ".";
  try {
    for await (const entry of Deno.readDir(dir)) {
      const rest = entry.name.startsWith(prefix) ? entry.name.slice(prefix.length) : "";
      if (/^\d+$/.test(rest)) await clearStaleSocket(`${dir}/${entry.name}`);
    }
  } catch {
    // No directory yet (listenControl makes it), or one this user cannot list: nothing to clear.
  }
}
