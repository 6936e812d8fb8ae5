/**
 * Starts one Deno.serve per listen address, all with the same handler.
 * TCP addresses use `reusePort`, so every worker binds the same port and
 * the kernel spreads connections among them; the master is not on the data
 * path.
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
import type { FetchHandler } from "./request_guard.ts";

/** Options of {@linkcode serveApp}. */
export interface ServeAppOptions {
  /** Where to listen (from `listenAddresses`). */
  addresses: readonly ListenAddress[];
  /** The guarded handler. */
  handler: FetchHandler;
  /** `keepalive` in seconds. */
  keepaliveS: number;
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
  };
  for (const address of options.addresses) {
    try {
      const server = address.transport === "unix"
        ? Deno.serve({ ...common, path: address.path })
        : Deno.serve({
          ...common,
          hostname: address.hostname,
          port: address.port,
          reusePort: true,
        });
      servers.push(server);
      addresses.push(formatAddress(server.addr as ListenAddress));
    } catch (error) {
      for (const server of servers) server.shutdown().catch(() => {});
      // Deno appends "(os error N)"; the errno adds nothing to the message for a person.
      const reason = (error instanceof Error ? error.message : String(error))
        .replace(/ \(os error \d+\)$/, "");
      throw new BindError(`Cannot listen on "${formatAddress(address)}": ${reason}`, {
        cause: error,
      });
    }
  }
  return { servers, addresses };
}
