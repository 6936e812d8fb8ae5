/**
 * Fails fast when something already listens where the workers will: a
 * plain server (a connect succeeds) or another SO_REUSEPORT server (a
 * non-reusePort listen fails with AddrInUse; the kernel would otherwise let
 * our workers join it silently and share its traffic). Also picks the one
 * free port that every worker binds when `port` is 0. Unix socket paths
 * get the same treatment: a live one refuses the start, a stale one left by
 * a crashed run is removed.
 *
 * @module
 */
import { getLog } from "../logging/log.ts";
import { hostPort, type ListenAddress } from "../settings/addresses.ts";
import { clearStaleSocket } from "./unix_socket.ts";
import { osErrorReason } from "../error_text.ts";
import { missingParent } from "../platform/path_exists.ts";

type TcpAddress = Extract<ListenAddress, { transport: "tcp" }>;

/**
 * True when something already listens on `address`.
 *
 * @example
 * ```ts
 * import { isAddressInUse } from "./listener_check.ts";
 * await isAddressInUse({ transport: "tcp", hostname: "127.0.0.1", port: 8080 });
 * ```
 */
export async function isAddressInUse(address: TcpAddress): Promise<boolean> {
  const { hostname, port } = address;
  // Listening first: an address that is not this machine's fails here (and throws), rather
  // than being connected to wherever it is.
  try {
    Deno.listen({ hostname, port }).close();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return true;
    throw error;
  }
  try {
    (await Deno.connect({ hostname: connectHost(hostname), port })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks every address before the workers start and says, in one line, why
 * Herd must not start (exit 5): in use, or not one this machine can listen
 * on. Null when all is well. A stale Unix socket is removed on
 * the way. An upgrading master (USR2) skips this: its predecessor's workers
 * are meant to be listening.
 *
 * @example
 * ```ts
 * import { refuseBusyAddresses } from "./listener_check.ts";
 * const problem = await refuseBusyAddresses([{ transport: "unix", path: "/tmp/h.sock" }]);
 * // null, or 'Address unix:/tmp/h.sock is already in use'
 * ```
 */
export async function refuseBusyAddresses(
  addresses: readonly ListenAddress[],
): Promise<string | null> {
  for (const address of addresses) {
    if (address.transport !== "tcp" || address.port === 0) continue;
    try {
      if (await isAddressInUse(address)) return `Address ${hostPort(address)} is already in use`;
    } catch (error) {
      return cannotListen(address, error);
    }
  }
  for (const address of addresses) {
    if (address.transport !== "unix") continue;
    // The worker that binds it would fail its boot (exit 3) on a directory that is not there.
    const dir = missingParent(address.path);
    if (dir !== null) return `Cannot listen on unix:${address.path}: no directory "${dir}"`;
    const verdict = await clearStaleSocket(address.path);
    if (verdict === "in_use") return `Address unix:${address.path} is already in use`;
    if (verdict === "not_a_socket") {
      return `Address unix:${address.path} is taken by a file that is not a socket`;
    }
    if (verdict === "stale") {
      getLog("master").info(`Removed a stale socket "${address.path}" (nothing answered on it)`);
    }
  }
  return null;
}

/**
 * Why this machine cannot listen on a TCP address (a name that does not
 * resolve, another host's address, a privileged port), or null when it can
 * or something already does (a running Herd, say): what `check` refuses
 * that `serve` would stop on with exit 5. Listens for a moment, on the port
 * itself.
 *
 * @example
 * ```ts
 * import { listenProblem } from "./listener_check.ts";
 * listenProblem({ transport: "tcp", hostname: "192.0.2.1", port: 8080 });
 * // "Cannot listen on 192.0.2.1:8080: Cannot assign requested address"
 * ```
 */
export function listenProblem(address: TcpAddress): string | null {
  try {
    Deno.listen({ hostname: address.hostname, port: address.port }).close();
    return null;
  } catch (error) {
    return error instanceof Deno.errors.AddrInUse ? null : cannotListen(address, error);
  }
}

function cannotListen(address: TcpAddress, error: unknown): string {
  return `Cannot listen on ${hostPort(address)}: ${osErrorReason(error)}`;
}

/**
 * A port that is free on `hostname` right now.
 *
 * @example
 * ```ts
 * import { freePort } from "./listener_check.ts";
 * freePort("127.0.0.1"); // e.g. 41234
 * ```
 */
export function freePort(hostname: string): number {
  const listener = Deno.listen({ hostname, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

// A wildcard address cannot be connected to; its loopback twin reaches the same listeners.
function connectHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "::1";
  return hostname;
}
