/**
 * Starts one Deno.serve per listen address, all with the same handler.
 * TCP addresses use `reusePort`, so every worker binds the same port and
 * the kernel spreads connections among them; the master is not on the data
 * path. With a TLS pair every TCP address serves HTTPS, and HTTP/2 where the
 * client offers it by ALPN.
 *
 * Unix sockets cannot be shared that way (SO_REUSEPORT does not apply to
 * them on Linux), so one worker, slot 1, owns every `unix:` address. It binds
 * a staging path, sets its mode, then renames it over the real path: the
 * rename is atomic, so a client always finds a listening socket there, and
 * a replacement worker 1 (which boots before its predecessor drains) takes
 * the path over without a refused connection. The predecessor keeps serving
 * the connections it already has. Deno unlinks the path a server bound
 * when it closes, which here is the long-gone staging path, so a draining
 * predecessor cannot remove its successor's socket; the master removes the
 * real path at a clean stop.
 *
 * @example
 * ```ts
 * import { serveApp } from "./serve_app.ts";
 * const { servers, addresses } = serveApp({
 *   addresses: [{ transport: "tcp", hostname: "127.0.0.1", port: 0 }],
 *   handler: () => new Response("hi"),
 *   keepaliveS: 2,
 * });
 * console.log(addresses); // ["http://127.0.0.1:40123"]
 * await Promise.all(servers.map((s) => s.shutdown()));
 * ```
 *
 * @module
 */
import { formatAddress, type ListenAddress } from "../settings/addresses.ts";
import type { DataSettings } from "../settings/table.ts";
import type { FetchHandler } from "./request_guard.ts";
import { osErrorReason } from "../error_text.ts";
import { type TlsPair, UNIX_STAGING_SUFFIX } from "../ipc/protocol.ts";

/** The worker slot that owns every Unix socket address. */
const UNIX_SOCKET_OWNER = 1;

/** Options of {@linkcode serveApp}. */
export interface ServeAppOptions {
  /** Where to listen (from `listenAddresses`). */
  addresses: readonly ListenAddress[];
  /** The guarded handler. */
  handler: FetchHandler;
  /** `keepalive` in seconds. */
  keepaliveS: number;
  /** The TLS pair the master checked and sent; absent or null: plain HTTP. */
  tls?: TlsPair | null;
  /** Whether this worker binds the `unix:` addresses, and with which file mode. */
  unixSockets?: { owner: boolean; mode: number };
  /**
   * Told of an error Deno meets past the handler: a response body stream that fails after
   * its status was sent (the handler's own errors never reach Deno: the guard answers them).
   * Without it, Deno prints the error's stack on stderr, outside the error log.
   */
  onError?: (error: unknown) => void;
}

/**
 * The listening options of {@linkcode ServeAppOptions} that come from the
 * settings and the worker's slot.
 *
 * @example
 * ```ts
 * import { listenOptions } from "./serve_app.ts";
 * listenOptions({ unix_socket_mode: "0660" }, 2);
 * // { unixSockets: { owner: false, mode: 0o660 } }
 * ```
 */
export function listenOptions(
  settings: Pick<DataSettings, "unix_socket_mode">,
  workerId: number,
): Pick<ServeAppOptions, "unixSockets"> {
  return {
    unixSockets: {
      owner: workerId === UNIX_SOCKET_OWNER,
      mode: parseInt(settings.unix_socket_mode, 8),
    },
  };
}

/** Listening servers and their formatted addresses (real ports, never 0). */
export interface ServingApp {
  servers: Deno.HttpServer[];
  addresses: string[];
}

/** An address could not be bound (in use, permission, bad host): exit code 5. */
export class BindError extends Error {
  /**
   * @example
   * ```ts
   * import { BindError } from "./serve_app.ts";
   * throw new BindError('Cannot listen on "http://127.0.0.1:80": Permission denied');
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BindError";
  }
}

/**
 * Listens on every address. On a failure, the servers already started are
 * shut down and a {@linkcode BindError} names the address.
 *
 * @example
 * ```ts
 * import { serveApp } from "./serve_app.ts";
 * serveApp({ addresses: [{ transport: "unix", path: "/tmp/app.sock" }], handler: () => new Response("hi"), keepaliveS: 0 });
 * ```
 */
export function serveApp(options: ServeAppOptions): ServingApp {
  const servers: Deno.HttpServer[] = [];
  const addresses: string[] = [];
  const common = {
    handler: options.handler,
    // Silences Deno's own "Listening on" line: the master prints one banner.
    onListen: () => {},
    // Deno 2.9 ignores this option (idle keep-alive connections are never closed); once the
    // runtime gains it (denoland/deno#34172) it takes effect with no change here.
    keepAliveTimeout: options.keepaliveS * 1000,
    onError: (error: unknown) => {
      options.onError?.(error);
      // Sent only if nothing was yet (never, past the guard): the status went out already.
      return new Response("Internal Server Error\n", { status: 500 });
    },
  };
  const tls = options.tls ?? {};
  const scheme = options.tls ? "https" : "http";
  const unix = options.unixSockets ?? { owner: true, mode: 0o660 };
  // TCP first: a replacement that fails to bind must not have taken the Unix path over yet.
  const ordered = [
    ...options.addresses.filter((a) => a.transport === "tcp"),
    ...(unix.owner ? options.addresses.filter((a) => a.transport === "unix") : []),
  ];
  for (const address of ordered) {
    try {
      if (address.transport === "unix") {
        servers.push(serveUnix(common, { path: address.path, mode: unix.mode }));
        addresses.push(formatAddress(address));
      } else {
        const server = Deno.serve({
          ...common,
          ...tls,
          hostname: address.hostname,
          port: address.port,
          reusePort: true,
        });
        servers.push(server);
        addresses.push(formatAddress(server.addr as ListenAddress, scheme));
      }
    } catch (error) {
      for (const server of servers) server.shutdown().catch(() => {});
      // The "(os error N)" Deno appends adds nothing to the message for a person.
      const reason = osErrorReason(error);
      throw new BindError(`Cannot listen on "${formatAddress(address, scheme)}": ${reason}`, {
        cause: error,
      });
    }
  }
  return { servers, addresses };
}

/**
 * The address `server` serves as its clients reach it: a Unix socket's final path, not the
 * staging name Deno bound it at.
 *
 * @example
 * ```ts
 * import { servedAddr } from "./serve_app.ts";
 * const server = Deno.serve({ port: 0, onListen() {} }, () => new Response("hi"));
 * servedAddr(server); // { transport: "tcp", hostname: "0.0.0.0", port: … }
 * await server.shutdown();
 * ```
 */
export function servedAddr(server: Deno.HttpServer): Deno.Addr {
  const addr = server.addr;
  return addr.transport === "unix" && addr.path.endsWith(UNIX_STAGING_SUFFIX)
    ? { ...addr, path: addr.path.slice(0, -UNIX_STAGING_SUFFIX.length) }
    : addr;
}

/** Binds a staging path, sets its mode, and renames it over `path` (atomic). */
function serveUnix(
  common: Omit<Deno.ServeUnixOptions, "path"> & { handler: FetchHandler },
  socket: { path: string; mode: number },
): Deno.HttpServer {
  const staging = socket.path + UNIX_STAGING_SUFFIX;
  // A leftover from a worker 1 that crashed while binding would make the bind fail. Only
  // slot 1 binds, one at a time, so nothing else uses this path.
  removeQuietly(staging);
  const server = Deno.serve({ ...common, path: staging });
  try {
    Deno.chmodSync(staging, socket.mode);
    Deno.renameSync(staging, socket.path);
  } catch (error) {
    server.shutdown().catch(() => {});
    removeQuietly(staging);
    throw error;
  }
  return server;
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone.
  }
}
