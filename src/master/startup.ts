/**
 * The master's one-off steps around the loop: preloading the app, the
 * banner, the `tcp_migrate_req` hint, and re-resolving the configuration
 * on HUP. Each is an effect with a one-line outcome.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { getLog } from "../logging/log.ts";
import { formatBanner } from "../logging/banner.ts";
import { formatAddress, type ListenAddress } from "../settings/addresses.ts";
import type { Resolved } from "../settings/resolved.ts";
import { resolveSettings } from "../settings/resolve.ts";
import { loadApp } from "../worker/load_app.ts";
import { effectiveCpuCount } from "../platform/cpus.ts";
import type { MasterEffects } from "./arbiter.ts";
import { workerCount } from "./worker_count.ts";

const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * Imports the app once in the master, so an app that cannot load stops Herd
 * before any worker starts. Resolves with the one-line problem, or null.
 *
 * @example
 * ```ts
 * import { preloadApp } from "./startup.ts";
 * const problem = await preloadApp("app.ts");
 * if (problem) console.error(`error: ${problem}`);
 * ```
 */
export async function preloadApp(app: string | null): Promise<string | null> {
  try {
    await loadApp(app, Deno.cwd());
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Prints the startup banner on stdout.
 *
 * @example
 * ```ts
 * import { printBanner } from "./startup.ts";
 * // printBanner(resolved, { addresses, workers: 2 });
 * ```
 */
export function printBanner(
  resolved: Resolved,
  shown: { addresses: readonly ListenAddress[]; workers: number },
): void {
  const s = resolved.settings;
  const lines = formatBanner({
    version: VERSION,
    pid: Deno.pid,
    addresses: shown.addresses.map((a) => formatAddress(a)),
    workers: shown.workers,
    workerClass: s.worker_class,
    env: s.env,
    accessLog: s.access_log,
    errorLog: s.error_log,
    configPath: resolved.configPath,
    logFormat: s.log_format,
  }, { color: Deno.stdout.isTerminal() });
  console.log(lines.join("\n"));
}

/**
 * Logs one hint when the kernel resets connections queued on a closing
 * worker instead of moving them to a sibling (`tcp_migrate_req` is 0).
 *
 * @example
 * ```ts
 * import { hintTcpMigrateReq } from "./startup.ts";
 * await hintTcpMigrateReq();
 * ```
 */
export async function hintTcpMigrateReq(): Promise<void> {
  const value = await Deno.readTextFile(MIGRATE_REQ).catch(() => null);
  if (value?.trim() !== "0") return;
  getLog("master").info(
    "Hint: sysctl net.ipv4.tcp_migrate_req=1 makes worker replacement lossless " +
      "for connections still queued on a closing worker",
  );
}

/**
 * Re-resolves the configuration from the same sources as at start (HUP).
 *
 * @example
 * ```ts
 * import { reloadConfig } from "./startup.ts";
 * const next = await reloadConfig(["app.ts", "--workers", "2"]);
 * ```
 */
export async function reloadConfig(
  args: readonly string[],
  inlineConfig?: unknown,
): ReturnType<MasterEffects["reloadConfig"]> {
  const resolution = await resolveSettings({
    args,
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    inlineConfig,
  });
  if (!resolution.ok) return resolution;
  const { resolved } = resolution;
  return { ok: true, resolved, workers: workerCount(resolved.settings.workers, effectiveCpuCount) };
}
