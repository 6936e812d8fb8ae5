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
import type { Settings } from "../settings/table.ts";
import { clearStaleSocket, probeSocket, socketVerdict, unixPathTooLong } from "./unix_socket.ts";
import { UNIX_STAGING_SUFFIX } from "../ipc/protocol.ts";
import { osErrorReason } from "../error_text.ts";
import { missingParent } from "../platform/path_exists.ts";
import { sleep } from "../platform/timer.ts";

type TcpAddress = Extract<ListenAddress, { transport: "tcp" }>;

/** What is on a TCP address now, as {@linkcode probeTcpAddress} finds it. */
export type AddressState =
  | { kind: "free" }
  | { kind: "in_use"; problem: string }
  | { kind: "unusable"; problem: string };

/**
 * Whether something already listens on `address`, or why this machine
 * cannot listen there (a name that does not resolve, another host's
 * address, a privileged port). Listens for a moment, on the port itself.
 *
 * @example
 * ```ts
 * import { probeTcpAddress } from "./listener_check.ts";
 * await probeTcpAddress({ transport: "tcp", hostname: "192.0.2.1", port: 8080 });
 * // { kind: "unusable", problem: "Cannot listen on 192.0.2.1:8080: Cannot assign requested address" }
 * ```
 */
export async function probeTcpAddress(address: TcpAddress): Promise<AddressState> {
  const { hostname, port } = address;
  // Listening first: an address that is not this machine's fails here, rather than being
  // connected to wherever it is.
  try {
    Deno.listen({ hostname, port }).close();
  } catch (error) {
    return listenFailure(address, error);
  }
  // A plain listen succeeds beside another SO_REUSEPORT server: a connect finds it.
  try {
    (await Deno.connect({ hostname: connectHost(hostname), port })).close();
    return { kind: "in_use", problem: `Address ${hostPort(address)} is already in use` };
  } catch {
    return { kind: "free" };
  }
}

/**
 * Why a listen on `address` failed with `error`, in {@linkcode probeTcpAddress}'s words, so a
 * listener opened without a probe first (the metrics endpoint) says what `check` says.
 *
 * @example
 * ```ts
 * import { listenFailure } from "./listener_check.ts";
 * listenFailure({ transport: "tcp", hostname: "127.0.0.1", port: 9091 }, new Deno.errors.AddrInUse());
 * // { kind: "in_use", problem: "Address 127.0.0.1:9091 is already in use" }
 * ```
 */
export function listenFailure(
  address: TcpAddress,
  error: unknown,
): Exclude<AddressState, { kind: "free" }> {
  if (error instanceof Deno.errors.AddrInUse) {
    return { kind: "in_use", problem: `Address ${hostPort(address)} is already in use` };
  }
  return {
    kind: "unusable",
    problem: `Cannot listen on ${hostPort(address)}: ${osErrorReason(error)}`,
  };
}

/**
 * Checks every address before the workers start and says why Herd must not
 * start (exit 5): the first that is in use, or that this machine cannot
 * listen on. Null when all is well. A stale Unix socket is removed on the
 * way. An upgrading master (USR2) passes only the addresses its
 * predecessor's workers do not listen on (see `notHeldBy`).
 *
 * @example
 * ```ts
 * import { refuseBusyAddresses } from "./listener_check.ts";
 * const refusal = await refuseBusyAddresses([{ transport: "unix", path: "/tmp/h.sock" }]);
 * // null, or { kind: "in_use", problem: 'Address unix:/tmp/h.sock is already in use' }
 * ```
 */
export async function refuseBusyAddresses(
  addresses: readonly ListenAddress[],
): Promise<Exclude<AddressState, { kind: "free" }> | null> {
  for await (const state of addressStates(addresses, { clearStale: true })) {
    if (state.kind !== "free") return state;
  }
  return null;
}

/**
 * How long a start waits for an address in use (Gunicorn's five checks, a
 * second apart): what a killed master's workers need to let go of it.
 */
export const BUSY_ADDRESS_RETRY = { tries: 5, delayMs: 1000 } as const;

/** What one look at the addresses found, for {@linkcode whileInUse}. */
export interface BusyCheck<T> {
  /** What the caller makes of it (the last one is returned). */
  result: T;
  /** An address in use that may yet be let go of (`Address … is already in use`), or null. */
  inUse: string | null;
}

/**
 * Runs `check` again, {@linkcode BUSY_ADDRESS_RETRY} apart, while it finds
 * an address in use (not one that is unusable: that does not pass), and
 * returns its last result. A worker left by a master that was killed
 * (SIGKILL) finishes its requests and lets go of the port within a second or
 * so: a master restarted at once by its supervisor waits for it, as
 * Gunicorn's bind does, instead of failing; `check` waits as `serve` would.
 * `onRetry` is told each wait in a line
 * (`Address 127.0.0.1:8000 is already in use; checking again in 1 s (1 of 5)`);
 * `signal` (a stop signal) ends the waiting, with the result found last.
 *
 * @example
 * ```ts
 * import { refuseBusyAddresses, whileInUse } from "./listener_check.ts";
 * const refusal = await whileInUse(async () => {
 *   const result = await refuseBusyAddresses([]);
 *   return { result, inUse: result?.kind === "in_use" ? result.problem : null };
 * }, { onRetry: (line) => console.warn(line) });
 * // null: no address, none in use
 * ```
 */
export async function whileInUse<T>(
  check: () => Promise<BusyCheck<T>>,
  options: { signal?: AbortSignal; onRetry?: (line: string) => void } = {},
): Promise<T> {
  const { tries, delayMs } = BUSY_ADDRESS_RETRY;
  for (let attempt = 1;; attempt++) {
    const { result, inUse } = await check();
    if (inUse === null || attempt >= tries || options.signal?.aborted) return result;
    options.onRetry?.(`${inUse}; checking again in ${delayMs / 1000} s (${attempt} of ${tries})`);
    await sleep(delayMs, options.signal);
    // Stopped while waiting: nothing more is checked (nor a stale socket removed).
    if (options.signal?.aborted) return result;
  }
}

/**
 * What is on each of `addresses` now, in the order the master checks them
 * (the TCP ones, then the Unix sockets; port 0 is skipped, any free port
 * does): {@linkcode probeTcpAddress}, {@linkcode unixAddressState}, with the
 * address.
 *
 * @example
 * ```ts
 * import { addressStates } from "./listener_check.ts";
 * for await (const state of addressStates([], { clearStale: false })) console.log(state.kind);
 * ```
 */
export async function* addressStates(
  addresses: readonly ListenAddress[],
  options: { clearStale: boolean },
): AsyncGenerator<AddressState & { address: ListenAddress }> {
  for (const address of addresses) {
    if (address.transport === "tcp" && address.port !== 0) {
      yield { ...await probeTcpAddress(address), address };
    }
  }
  for (const address of addresses) {
    if (address.transport === "unix") {
      yield { ...await unixAddressState(address.path, options), address };
    }
  }
}

/**
 * The line that refuses a start at an address that is not free: its problem,
 * and where the setting that put it there was given (`origin`, see
 * `originsOf`): an address in use names its port, one this machine cannot
 * listen on its host (`bind`, when set, gives both).
 *
 * @example
 * ```ts
 * import { addressRefusal } from "./listener_check.ts";
 * addressRefusal(
 *   { kind: "in_use", problem: "Address 127.0.0.1:8080 is already in use" },
 *   { bind: [] },
 *   (name) => `"${name}" from --${name} (command line)`,
 * ); // 'Address 127.0.0.1:8080 is already in use ("port" from --port (command line))'
 * ```
 */
export function addressRefusal(
  state: Exclude<AddressState, { kind: "free" }>,
  settings: Pick<Settings, "bind">,
  origin?: (name: "bind" | "host" | "port") => string,
): string {
  const name = settings.bind.length > 0 ? "bind" : state.kind === "in_use" ? "port" : "host";
  return origin ? `${state.problem} (${origin(name)})` : state.problem;
}

/**
 * What is on the Unix socket `path` now, as {@linkcode probeTcpAddress} says
 * it for TCP: `unusable` when its workers could not listen there (no
 * directory, a path too long for a socket, a file that is not a socket),
 * `in_use` when something answers on it. A stale socket is free; it is
 * removed when `clearStale` (serve), and left (`check`) otherwise.
 *
 * @example
 * ```ts
 * import { unixAddressState } from "./listener_check.ts";
 * await unixAddressState("/no/such/dir/h.sock", { clearStale: false });
 * // { kind: "unusable", problem: 'Cannot listen on unix:/no/such/dir/h.sock: no directory "/no/such/dir"' }
 * ```
 */
export async function unixAddressState(
  path: string,
  options: { clearStale: boolean },
): Promise<AddressState> {
  const unusable = (why: string): AddressState => ({
    kind: "unusable",
    problem: `Cannot listen on unix:${path}: ${why}`,
  });
  const dir = missingParent(path);
  if (dir !== null) return unusable(`no directory "${dir}"`);
  // Worker 1 binds a staging name first, then renames it over the path.
  const tooLong = unixPathTooLong(path, UNIX_STAGING_SUFFIX);
  if (tooLong !== null) return unusable(tooLong);
  const verdict = options.clearStale
    ? await clearStaleSocket(path)
    : socketVerdict(await probeSocket(path));
  if (verdict === "in_use") {
    return { kind: "in_use", problem: `Address unix:${path} is already in use` };
  }
  if (verdict === "not_a_socket") {
    return {
      kind: "unusable",
      problem: `Address unix:${path} is taken by a file that is not a socket`,
    };
  }
  if (verdict === "stale" && options.clearStale) {
    getLog("master").info(`Removed a stale socket "${path}" (nothing answered on it)`);
  }
  return { kind: "free" };
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

/**
 * The host to connect to for a listener on `hostname`: a wildcard address
 * cannot be connected to; its loopback twin reaches the same listeners.
 *
 * @example
 * ```ts
 * import { connectHost } from "./listener_check.ts";
 * connectHost("0.0.0.0"); // "127.0.0.1"
 * connectHost("::"); // "::1"
 * ```
 */
export function connectHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "::1";
  return hostname;
}
