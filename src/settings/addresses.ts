/**
 * Listen addresses: parsing `bind` entries and deriving the list a worker
 * serves from `bind`, `host` and `port`.
 *
 * @module
 */
import { parseIp } from "../platform/ip_networks.ts";

/** One address a worker listens on. */
export type ListenAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * True when `host` can name an interface to listen on: an IPv4 address, an
 * IPv6 address (without brackets), or a host name (RFC 1123 labels). A
 * dotted number that is no IPv4 address (`999.1.1.1`) is refused rather than
 * looked up.
 *
 * @example
 * ```ts
 * import { isHostName } from "./addresses.ts";
 * isHostName("0.0.0.0"); // true
 * isHostName("::1"); // true
 * isHostName("api.internal"); // true
 * isHostName("999.1.1.1"); // false
 * isHostName("not a host"); // false
 * ```
 */
export function isHostName(host: string): boolean {
  // One rule for addresses with forwarded_allow_ips: parseIp.
  if (host.includes(":")) return parseIp(host) !== null;
  const labels = host.split(".");
  if (labels.every((label) => /^\d+$/.test(label))) return parseIp(host) !== null;
  return host.length <= 253 && labels.every((label) => LABEL.test(label));
}

/**
 * Parses one `bind` entry: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, or a bare
 * `HOST` / `:PORT` completed from `defaults`. Throws a `TypeError` naming
 * the entry when it is malformed.
 *
 * @example
 * ```ts
 * import { parseBind } from "./addresses.ts";
 * parseBind("[::1]:8080"); // { transport: "tcp", hostname: "::1", port: 8080 }
 * ```
 */
export function parseBind(
  entry: string,
  defaults: { hostname: string; port: number } = { hostname: "127.0.0.1", port: 8080 },
): ListenAddress {
  const e = entry.trim();
  if (e.startsWith("unix:")) {
    const path = e.slice(5);
    if (path.length === 0) throw new TypeError(`Invalid bind "${entry}": empty unix socket path`);
    return { transport: "unix", path };
  }
  // Gunicorn's `tcp://` and `fd://` would otherwise be judged as odd IPv6 addresses or ports.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(e);
  if (scheme) {
    throw new TypeError(
      `Invalid bind "${entry}": the scheme "${scheme[1]}://" is not supported; ` +
        "write HOST:PORT, [IPV6]:PORT or unix:PATH",
    );
  }
  let hostname: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d*))?$/.exec(e);
  if (v6) {
    hostname = v6[1];
    portText = v6[2];
  } else if ((e.match(/:/g) ?? []).length > 1) {
    throw new TypeError(`Invalid bind "${entry}": write IPv6 addresses as [ADDRESS]:PORT`);
  } else {
    const colon = e.lastIndexOf(":");
    hostname = colon >= 0 ? e.slice(0, colon) : e;
    portText = colon >= 0 ? e.slice(colon + 1) : undefined;
  }
  if (hostname === "") hostname = defaults.hostname;
  if (!isHostName(hostname)) {
    throw new TypeError(`Invalid bind "${entry}": bad host "${hostname}"`);
  }
  let port = defaults.port;
  // `host:` is a port forgotten, not "the default port" (which would be served unannounced).
  if (portText === "") throw new TypeError(`Invalid bind "${entry}": no port after ":"`);
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      throw new TypeError(`Invalid bind "${entry}": port must be 0 to 65535`);
    }
    port = Number(portText);
  }
  return { transport: "tcp", hostname, port };
}

/**
 * The addresses every worker listens on: each `bind` entry, or `host:port`
 * when `bind` is empty.
 *
 * @example
 * ```ts
 * import { listenAddresses } from "./addresses.ts";
 * listenAddresses({ bind: [], host: "0.0.0.0", port: 8080 });
 * // [{ transport: "tcp", hostname: "0.0.0.0", port: 8080 }]
 * ```
 */
export function listenAddresses(
  s: { bind: readonly string[]; host: string; port: number },
): ListenAddress[] {
  const defaults = { hostname: s.host, port: s.port };
  if (s.bind.length === 0) return [{ transport: "tcp", hostname: s.host, port: s.port }];
  return s.bind.map((b) => parseBind(b, defaults));
}

/**
 * Formats an address for logs and the banner: `http://127.0.0.1:8080`,
 * `http://[::1]:8080`, `unix:/run/herd.sock`.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./addresses.ts";
 * formatAddress({ transport: "tcp", hostname: "::1", port: 80 }); // "http://[::1]:80"
 * ```
 */
export function formatAddress(a: ListenAddress, scheme = "http"): string {
  return a.transport === "unix" ? `unix:${a.path}` : `${scheme}://${hostPort(a)}`;
}

/**
 * `HOST:PORT` of a TCP address, an IPv6 host in brackets, as errors name it.
 *
 * @example
 * ```ts
 * import { hostPort } from "./addresses.ts";
 * hostPort({ hostname: "::1", port: 80 }); // "[::1]:80"
 * ```
 */
export function hostPort(a: { hostname: string; port: number }): string {
  return `${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;
}

/**
 * `address` in the form that compares equal for the same interface and
 * port: host names lowercased, and `localhost` as `127.0.0.1` (what Deno
 * listens on for it).
 *
 * @example
 * ```ts
 * import { canonicalAddress } from "./addresses.ts";
 * canonicalAddress({ transport: "tcp", hostname: "LocalHost", port: 80 });
 * // { transport: "tcp", hostname: "127.0.0.1", port: 80 }
 * ```
 */
export function canonicalAddress<A extends ListenAddress>(address: A): A {
  if (address.transport !== "tcp") return address;
  const host = address.hostname.toLowerCase();
  return { ...address, hostname: host === "localhost" ? "127.0.0.1" : host };
}
