/**
 * Framing of {@linkcode Frame}s over a Unix stream socket, and the private
 * directory that holds the master's control socket.
 *
 * @example
 * ```ts
 * import { connectChannel } from "./channel.ts";
 * const ch = await connectChannel("/tmp/herd-0/x/control.sock");
 * await ch.send({ type: "request", command: "status" });
 * for await (const frame of ch) { console.log(frame); break; }
 * ch.close();
 * ```
 *
 * @module
 */
import { parentDirectory } from "../platform/path_exists.ts";
import { DryRun, type FileChanges, realChanges } from "../platform/dry_run.ts";
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  MAX_FRAME_BYTES,
  ProtocolError,
} from "./protocol.ts";

/** A bidirectional, framed connection. Iterate it for incoming frames; EOF ends the iteration. */
export class Channel implements AsyncIterable<Frame> {
  #conn: Deno.Conn;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  /**
   * Wraps an open connection.
   *
   * @example
   * ```ts
   * import { Channel } from "./channel.ts";
   * const conn = await Deno.connect({ transport: "unix", path: "/tmp/x.sock" });
   * const ch = new Channel(conn);
   * ```
   */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** True once {@linkcode close} was called or a write failed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one frame. Writes are serialised so frames never interleave.
   * Resolves false (never throws) when the peer is gone.
   */
  send(frame: Frame): Promise<boolean> {
    const bytes = encodeFrame(frame);
    const result = this.#writing.then(async () => {
      if (this.#closed) return false;
      try {
        let off = 0;
        while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
        return true;
      } catch {
        this.close();
        return false;
      }
    });
    this.#writing = result.then(() => {});
    return result;
  }

  /** Closes the connection; idempotent. Pending iteration ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer: nothing to release.
    }
  }

  /** Incoming frames until EOF. Throws {@linkcode ProtocolError} on a bad frame. */
  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(64 * 1024);
    let pending = "";
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch {
        n = null; // reset or closed locally: same as EOF for the peer's purposes
      }
      if (n === null) {
        this.close();
        return;
      }
      pending += decoder.decode(buf.subarray(0, n), { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.length > 0) yield decodeFrame(line);
      }
      if (pending.length > MAX_FRAME_BYTES) {
        this.close();
        throw new ProtocolError(`Frame too long: over ${MAX_FRAME_BYTES} bytes`);
      }
    }
  }
}

/**
 * Connects to a control socket.
 *
 * @example
 * ```ts
 * import { connectChannel } from "./channel.ts";
 * const ch = await connectChannel("/tmp/herd-0/x/control.sock");
 * ```
 */
export async function connectChannel(path: string): Promise<Channel> {
  const conn = await Deno.connect({ transport: "unix", path });
  return new Channel(conn);
}

/**
 * Listens on a control socket at `path`, creating its directory with mode
 * 0700 and the socket with 0600, so only the owner can reach the master.
 * The path must be free: the caller clears a stale socket first (the master
 * does, with `clearStaleSocket`, refusing a live one or a file).
 *
 * With `group` (the workers' gid when they run as another user), that group
 * is let in and no one else: the directory becomes 0710 (enter, but not
 * list or create) and the socket 0660, both owned by the master. Workers
 * can connect but cannot replace the socket.
 *
 * The directory's mode is set only when this creates it, or when it is
 * Herd's own (`privateDirectory`: one master's directory under the derived
 * `herd-<uid>`, whose parent is made 0711, the same for every master, so
 * workers of any user can pass through it but not list it); a directory that
 * already existed is left as it is, and must let the workers in.
 *
 * @example
 * ```ts
 * import { listenControl } from "./channel.ts";
 * const { listener } = await listenControl("/tmp/herd-0/x/control.sock", {
 *   privateDirectory: true,
 * });
 * const shared = await listenControl("/run/herd/y.sock", { group: 33 });
 * ```
 */
export async function listenControl(
  path: string,
  options: { group?: number | null; privateDirectory?: boolean } = {},
): Promise<ControlListener> {
  const group = options.group ?? null;
  const ownDirectory = await prepareControlDirectory(path, options, realChanges);
  const listener = Deno.listen({ transport: "unix", path });
  if (group !== null) await Deno.chown(path, null, group);
  await Deno.chmod(path, group === null ? 0o600 : 0o660);
  return { listener, ownDirectory };
}

/**
 * Throws what {@linkcode listenControl} would at `path` with these
 * `options`, making and changing nothing (`check`): the directories it would
 * make must be makeable, the ones whose mode it sets this user's, and the
 * socket's directory must take a new entry.
 *
 * @example
 * ```ts
 * import { tryListenControl } from "./channel.ts";
 * await tryListenControl("/tmp/herd-0/x/control.sock", { privateDirectory: true });
 * ```
 */
export async function tryListenControl(
  path: string,
  options: { group?: number | null; privateDirectory?: boolean } = {},
): Promise<void> {
  const dryRun = new DryRun();
  await prepareControlDirectory(path, options, dryRun);
  await dryRun.create(path);
}

// Makes (or, dry, proves it could make) the socket's directory; true when it is Herd's own.
async function prepareControlDirectory(
  path: string,
  options: { group?: number | null; privateDirectory?: boolean },
  changes: FileChanges,
): Promise<boolean> {
  const dir = parentDirectory(path);
  const group = options.group ?? null;
  const existed = await Deno.stat(dir).then(() => true, () => false);
  if (options.privateDirectory) {
    const parent = parentDirectory(dir);
    await changes.mkdir(parent, { recursive: true, mode: 0o711 });
    // In a shared /tmp anyone may have made it first (a symlink to elsewhere, a directory of
    // theirs, where they could swap the master's socket for their own): only this user's own.
    const found = await changes.lstat(parent);
    if (!found.isDirectory || found.isSymlink || found.uid !== Deno.uid()) {
      throw new Deno.errors.PermissionDenied(
        `"${parent}" is not a directory of this user's own (${
          found.isSymlink ? "a symbolic link" : `owned by uid ${found.uid}`
        }): remove it, or set control_socket`,
      );
    }
    await changes.chmod(parent, 0o711);
    await changes.mkdir(dir, { recursive: true, mode: 0o700 });
  } else if (!existed) {
    // A configured socket gets its own directory made (`/run/herd`), not a path of them: a
    // mistyped `/srv/hred/run/c.sock` would otherwise leave directories behind, as root.
    await changes.mkdir(dir, { mode: 0o700 }).catch((error) => {
      if (error instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(
          `no directory "${parentDirectory(dir)}" to make "${dir}" in`,
        );
      }
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    });
  }
  // Only a directory that is Herd's: a configured socket may sit in a shared one (/run, /tmp),
  // whose mode is not Herd's to change.
  const ownDirectory = !existed || (options.privateDirectory ?? false);
  if (ownDirectory) {
    await changes.chmod(dir, group === null ? 0o700 : 0o710);
    if (group !== null) await changes.chgrp(dir, group);
  }
  return ownDirectory;
}

/** What {@linkcode listenControl} opened. */
export interface ControlListener {
  listener: Deno.UnixListener;
  /**
   * True when the socket's directory is Herd's (made here, or the private one): its owner
   * removes it with the socket, once empty.
   */
  ownDirectory: boolean;
}
