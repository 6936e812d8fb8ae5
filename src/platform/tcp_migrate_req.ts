/**
 * Linux's `net.ipv4.tcp_migrate_req`: with 1, connections still queued on a
 * closing `SO_REUSEPORT` listener move to a sibling listener; with 0 (the
 * default) the kernel resets them, so a replaced worker can lose the few
 * that arrived in its last instant.
 *
 * @example
 * ```ts
 * import { tcpMigrateReq } from "./tcp_migrate_req.ts";
 * if ((await tcpMigrateReq()) === "0") console.log("replacements may reset a connection");
 * ```
 *
 * @module
 */

/**
 * The sysctl's value (`"0"` or `"1"`), or null where it cannot be read (not
 * Linux, or a kernel older than 5.14).
 *
 * @example
 * ```ts
 * import { tcpMigrateReq } from "./tcp_migrate_req.ts";
 * await tcpMigrateReq(); // "0"
 * ```
 */
export async function tcpMigrateReq(): Promise<string | null> {
  const value = await Deno.readTextFile("/proc/sys/net/ipv4/tcp_migrate_req").catch(() => null);
  return value === null ? null : value.trim();
}
