/**
 * IP addresses and networks (`10.0.0.0/8`, `fd00::/8`), for the peers
 * whose `X-Forwarded-For` Herd believes (`forwarded_allow_ips`), as
 * Gunicorn takes them: exact addresses, networks in CIDR notation, or `*`.
 *
 * @example
 * ```ts
 * import { peerMatcher } from "./ip_networks.ts";
 * const trusted = peerMatcher(["127.0.0.1", "10.0.0.0/8"]);
 * trusted("10.1.2.3"); // true
 * trusted("192.168.0.1"); // false
 * ```
 *
 * @module
 */

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
type Bytes = number[];

/**
 * The bytes of an IPv4 or IPv6 address, or null when `text` is neither.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip_networks.ts";
 * parseIp("::ffff:10.0.0.1")?.length; // 16
 * parseIp("10.0.0.256"); // null
 * ```
 */
export function parseIp(text: string): Bytes | null {
  if (!text.includes(":")) return parseIpv4(text);
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): Bytes | null => {
    if (part === "") return [];
    const bytes: Bytes = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        bytes.push(...v4);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
        const n = parseInt(piece, 16);
        bytes.push(n >> 8, n & 0xff);
      }
    }
    return bytes;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 16 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 2) return null;
  return [...head, ...new Array(missing).fill(0), ...tail];
}

function parseIpv4(text: string): Bytes | null {
  const parts = text.split(".");
  // No leading zeros: `01.2.3.4` reads as octal to some parsers.
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    return null;
  }
  return parts.map(Number);
}

/** A network: its address bytes and prefix length. */
interface Network {
  bytes: Bytes;
  prefix: number;
}

/**
 * The network `text` names (`10.0.0.0/8`; a bare address is its own /32 or
 * /128), or null when it names none.
 *
 * @example
 * ```ts
 * import { parseNetwork } from "./ip_networks.ts";
 * parseNetwork("10.0.0.0/8")?.prefix; // 8
 * parseNetwork("10.0.0.0/33"); // null
 * ```
 */
export function parseNetwork(text: string): Network | null {
  const [address, prefixText, extra] = text.split("/");
  if (extra !== undefined) return null;
  const bytes = parseIp(address);
  if (bytes === null) return null;
  const bits = bytes.length * 8;
  if (prefixText === undefined) return { bytes, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return null;
  return { bytes, prefix: Number(prefixText) };
}

function contains(network: Network, bytes: Bytes): boolean {
  if (bytes.length !== network.bytes.length) return false;
  let left = network.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((bytes[i] & mask) !== (network.bytes[i] & mask)) return false;
  }
  return true;
}

/**
 * A test for peer addresses: true when `peer` is one of `entries` or in
 * one of their networks; `*` matches every peer. Exact addresses are a set
 * lookup, so the common case costs what it did before networks.
 *
 * @example
 * ```ts
 * import { peerMatcher } from "./ip_networks.ts";
 * peerMatcher(["*"])("203.0.113.9"); // true
 * peerMatcher(["fd00::/8"])("fd12::1"); // true
 * ```
 */
export function peerMatcher(entries: readonly string[]): (peer: string) => boolean {
  if (entries.includes("*")) return () => true;
  const addresses = entries.filter((e) => !e.includes("/"));
  // An IPv4 peer may come as IPv4-mapped IPv6 (`::ffff:127.0.0.1`, from a dual-stack socket):
  // both spellings go in the set, so a peer costs one lookup.
  const exact = new Set([
    ...addresses,
    ...addresses.filter((a) => !a.includes(":")).map((a) => `::ffff:${a}`),
  ]);
  const networks = entries.filter((e) => e.includes("/")).map(parseNetwork)
    .filter((n): n is Network => n !== null);
  if (networks.length === 0) return (peer) => exact.has(peer);
  return (peer) => {
    if (exact.has(peer)) return true;
    const bytes = parseIp(peer.startsWith("::ffff:") ? peer.slice(7) : peer);
    return bytes !== null && networks.some((n) => contains(n, bytes));
  };
}
