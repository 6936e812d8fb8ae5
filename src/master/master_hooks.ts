/**
 * Runs the master-side hooks from the current configuration with a fresh
 * {@linkcode MasterContext}. A hook that throws is logged with its name and
 * the master carries on.
 *
 * @module
 */
import { refuseExitUntilDisposed } from "../platform/guard_user_code.ts";
import {
  hookFailureLogger,
  type HookName,
  type Hooks,
  runHook,
  WORKER_HOOKS,
  type WorkerHookName,
  type WorkerInfo,
} from "../hooks.ts";
import { hookSettings } from "../settings/sections/hooks.ts";
import { getLog } from "../logging/log.ts";
import { TIMED_OUT, within } from "../platform/timer.ts";
import { effectiveCpuCount } from "../platform/cpus.ts";
import { workerCount } from "./worker_count.ts";
import type { Resolved } from "../settings/resolved.ts";
import type { DataSettings, Settings } from "../settings/table.ts";

type MasterHookName = Exclude<HookName, WorkerHookName>;
type Rest<N extends MasterHookName> = Parameters<Hooks[N]> extends [unknown, ...infer R] ? R
  : never;

// The hook names in `settings`, from the settings table; everything else is plain data.
const HOOK_NAMES: readonly string[] = hookSettings.map((setting) => setting.name);

/**
 * `settings` without its hooks: what workers receive and hooks see.
 *
 * @example
 * ```ts
 * import { dataSettings } from "./master_hooks.ts";
 * // dataSettings(resolved.settings).workers
 * ```
 */
export function dataSettings(settings: Settings): DataSettings {
  const data: Record<string, unknown> = { ...settings };
  for (const name of HOOK_NAMES) delete data[name];
  return data as DataSettings;
}

/**
 * The config.ts a worker imports for its hooks: the one in use when it sets
 * a worker-side hook (for the chosen profile), otherwise null and the worker
 * imports nothing. Importing config.ts loads whatever it imports, and a
 * config.ts that takes `defineConfig` from `src/mod.ts` brings in all of
 * Herd, the master and the CLI included (strace: a worker opened 97 of
 * Herd's source files against 30; measured, about 1 MB of every worker's
 * RSS).
 *
 * @example
 * ```ts
 * import { workerConfigPath } from "./master_hooks.ts";
 * // workerConfigPath(resolved); // "/srv/app/config.ts" when it sets pre_request, say
 * ```
 */
export function workerConfigPath(
  resolved: Pick<Resolved, "settings" | "configPath">,
): string | null {
  const { settings } = resolved;
  return WORKER_HOOKS.some((name) => typeof settings[name] === "function")
    ? resolved.configPath
    : null;
}

/** One hook call: its name and the arguments after the master context. */
export type HookCall = { [N in MasterHookName]: { name: N; args: Rest<N> } }[MasterHookName];

/**
 * Calls a hook with a master context built from `state`, then its arguments,
 * and waits for it at most {@linkcode MASTER_HOOK_LIMIT_MS} (then logs one
 * line and goes on; the hook keeps running).
 *
 * @example
 * ```ts
 * import { runMasterHook } from "./master_hooks.ts";
 * // await runMasterHook({ settings, workers: [] }, { name: "when_ready", args: [] });
 * ```
 */
export async function runMasterHook(
  state: { settings: Settings; workers: readonly WorkerInfo[] },
  call: HookCall,
  /** Aborted by a stop signal: the master goes on without the hook (it runs on, unwaited). */
  interrupt?: AbortSignal,
): Promise<void> {
  const { name, args } = call;
  const hook = state.settings[name];
  if (!hook) return;
  const log = getLog("hooks");
  const data = dataSettings(state.settings);
  const context = {
    pid: Deno.pid,
    // A hook sees the configured count as the number the master runs ("auto" resolved), as
    // Gunicorn's hooks see a number; the live workers are `workers`.
    settings: {
      ...data,
      workers: workerCount(data.workers, effectiveCpuCount, data.worker_class),
    },
    workers: state.workers,
    log,
  };
  // Its Deno.exit() would end the master without a stop: its workers orphaned, its pidfile and
  // control socket left behind. Refused until it settles, after an `await` too, and after the
  // master stopped waiting for it (the master's own exit is exitProcess).
  const refused = refuseExitUntilDisposed((call) =>
    `it called ${call}: a hook must not end the master (send it a signal)`
  );
  const ran = runHook(
    name,
    hook as Hooks[typeof name],
    [context, ...args] as never,
    hookFailureLogger(log),
  ).finally(() => refused[Symbol.dispose]());
  // The master supervises nothing while it waits for a hook: one that never settles would
  // leave crashed workers unreplaced and stop signals unheard. It runs on, unwaited.
  let onStop: (() => void) | undefined;
  const stopped = interrupt && new Promise<"stopped">((resolve) => {
    if (interrupt.aborted) return resolve("stopped");
    onStop = () => resolve("stopped");
    interrupt.addEventListener("abort", onStop, { once: true });
  });
  const outcome = await within(stopped ? Promise.race([ran, stopped]) : ran, MASTER_HOOK_LIMIT_MS)
    .finally(() => onStop && interrupt?.removeEventListener("abort", onStop));
  if (outcome === "stopped") {
    return log.warning(`Hook "${name}" interrupted by a stop signal; going on without it`);
  }
  if (outcome === TIMED_OUT) {
    log.error(
      `Hook "${name}" did not finish within ${MASTER_HOOK_LIMIT_MS / 1000} s; going on without it`,
    );
  }
}

/** How long the master waits for one of its hooks. */
export const MASTER_HOOK_LIMIT_MS = 10_000;
