/**
 * The master's side of the control socket: accepts connections, reads each
 * peer's first frame to learn who it is (a worker's `hello` or a control
 * command's `request`) and turns every frame into a {@linkcode MasterEvent}.
 * Answers to control requests are built here too.
 *
 * @module
 */
import { parentDirectory } from "../platform/path_exists.ts";
import { Channel, listenControl } from "../ipc/channel.ts";
import { clearStaleSocket } from "./unix_socket.ts";
import type { ControlRequest, ControlResponse } from "../ipc/protocol.ts";
import { getLog } from "../logging/log.ts";
import { VERSION } from "../version.ts";
import type { EventQueue, Link } from "./events.ts";
import type { Workforce } from "./workforce.ts";
import { errorMessage } from "../error_text.ts";

// Accepts peers until the listener is closed.
async function serveControl(listener: Deno.Listener, queue: EventQueue): Promise<void> {
  try {
    for await (const conn of listener) readPeer(new Channel(conn), queue);
  } catch {
    // The listener was closed (shutdown): stop accepting.
  }
}

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
}

/**
 * The answer to `status`: the master, one row per worker, restarts by reason.
 *
 * @example
 * ```ts
 * import { statusResponse } from "./control_server.ts";
 * // statusResponse(workforce, { targetWorkers: 2, startedAt: new Date(), now: performance.now() });
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
 * The control socket's listener. A USR2 upgrade hands its path over to the new master
 * ({@linkcode ControlEndpoint.handOver}) and takes it back if that master does not take over
 * ({@linkcode ControlEndpoint.takeBack}). The listener itself stays open throughout, so the
 * workers' channels, and workers this master starts meanwhile, still reach it.
 */
export class ControlEndpoint {
  readonly #home: string;
  #path: string;
  #queue: EventQueue;
  #listener: Deno.Listener | null = null;

  readonly #group: number | null;
  readonly #privateDirectory: boolean;
  // Made for this socket (the private one, or a configured path's last directory): removed
  // with it, when empty.
  #ownDirectory = false;
  // The socket's inode once moved aside: what close() may remove there, and nothing else.
  #asideIno: number | null = null;

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
    const endpoint = new ControlEndpoint(path, options);
    await endpoint.#claim(path);
    const { listener, ownDirectory } = await listenControl(path, {
      group: endpoint.#group,
      privateDirectory: endpoint.#privateDirectory,
    });
    endpoint.#listener = listener;
    endpoint.#ownDirectory = ownDirectory;
    serveControl(listener, endpoint.#queue);
    return endpoint;
  }

  private constructor(
    path: string,
    options: { queue: EventQueue; group?: number | null; privateDirectory?: boolean },
  ) {
    this.#home = path;
    this.#path = path;
    this.#queue = options.queue;
    this.#group = options.group ?? null;
    this.#privateDirectory = options.privateDirectory ?? false;
  }

  /** Where the socket is now: its configured path, or `<path>.oldbin` while handed over. */
  get path(): string {
    return this.#path;
  }

  /**
   * Frees the configured path for a new master: the socket is renamed to `<path>.oldbin` and
   * keeps listening there (a socket file renamed still reaches its listener).
   */
  async handOver(): Promise<void> {
    if (this.#listener === null || this.#path !== this.#home) return;
    const aside = `${this.#home}.oldbin`;
    const ino = (await Deno.lstat(this.#home)).ino;
    await Deno.rename(this.#home, aside);
    this.#path = aside;
    this.#asideIno = ino;
  }

  /** Moves the socket back to its configured path (the new master did not take over). */
  async takeBack(): Promise<void> {
    if (this.#listener === null || this.#path === this.#home) return;
    await this.#claim(this.#home);
    await Deno.rename(this.#path, this.#home);
    this.#path = this.#home;
    this.#asideIno = null;
  }

  /** Stops accepting and removes the socket (and its directory, when Herd's own and empty). */
  async close(): Promise<void> {
    if (!this.#listener) return;
    // Closing a unix listener makes Deno unlink the path it was opened at, whatever is there
    // now: handed over, that is the new master's socket. Left open, unref'd, it ends with the
    // process (Deno.exit unlinks nothing).
    if (this.#path === this.#home) this.#listener.close();
    else this.#listener.unref();
    this.#listener = null;
    // Moved aside, the name may have been taken since by a later master's own hand-over.
    const ours = this.#asideIno === null ||
      await Deno.lstat(this.#path).then((info) => info.ino === this.#asideIno, () => false);
    if (ours) await Deno.remove(this.#path).catch(() => {});
    // Not recursive: a successor that listens there keeps its socket (and directory).
    if (this.#ownDirectory) {
      await Deno.remove(parentDirectory(this.#home)).catch(() => {});
    }
  }

  // The socket of a crashed run is replaced; a live one, or a file given by mistake, is not.
  async #claim(path: string): Promise<void> {
    const verdict = await clearStaleSocket(path);
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
}
