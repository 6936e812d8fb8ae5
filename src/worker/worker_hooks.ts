/**
 * The hooks a worker runs (`post_worker_init`, `pre_request`,
 * `post_request`), taken from config.ts. Functions cannot cross the control
 * channel, so the worker imports config.ts itself; a profile's hook
 * (`profiles[env]`) wins over the top-level one.
 *
 * @example
 * ```ts
 * import { loadWorkerHooks } from "./worker_hooks.ts";
 * const hooks = await loadWorkerHooks({ configPath: "/srv/app/config.ts", profile: "production" });
 * hooks.pre_request; // a function or null
 * ```
 *
 * @module
 */
import { fileUrl } from "../platform/file_url.ts";
import { type Hooks, WORKER_HOOKS, type WorkerHookName } from "../hooks.ts";
import { importFailure, workerPermissionAdvice } from "../error_text.ts";

/** The worker-side hooks; null when not set. */
export type WorkerHooks = { [N in WorkerHookName]: Hooks[N] | null };

type HookSource = Partial<Record<WorkerHookName, unknown>>;

/**
 * Imports `configPath` (absolute; null → no hooks) and returns its worker
 * hooks. Throws an `Error` with a one-line message when it cannot be
 * imported.
 *
 * @example
 * ```ts
 * import { loadWorkerHooks } from "./worker_hooks.ts";
 * await loadWorkerHooks({ configPath: null, profile: "development" }); // all null
 * ```
 */
export async function loadWorkerHooks(
  options: { configPath: string | null; profile: string },
): Promise<WorkerHooks> {
  if (options.configPath === null) return workerHooksOf(null, options.profile);
  let config: unknown;
  try {
    config = (await import(fileUrl(options.configPath))).default;
  } catch (error) {
    const reason = workerPermissionAdvice(importFailure(error));
    throw new Error(`Cannot import config "${options.configPath}": ${reason}`, {
      cause: error,
    });
  }
  return workerHooksOf(config, options.profile);
}

/**
 * The worker hooks of a config object (config.ts's default export, or the
 * object given to `serve(app, config)`).
 *
 * @example
 * ```ts
 * import { workerHooksOf } from "./worker_hooks.ts";
 * workerHooksOf({ pre_request: () => {} }, "development").pre_request; // the function
 * ```
 */
export function workerHooksOf(config: unknown, profile: string): WorkerHooks {
  const hooks: WorkerHooks = { post_worker_init: null, pre_request: null, post_request: null };
  if (config === null || typeof config !== "object") return hooks;
  const top = config as HookSource & { profiles?: Record<string, HookSource | undefined> };
  const chosen = top.profiles?.[profile] ?? {};
  for (const name of WORKER_HOOKS) {
    // A profile's null switches the hook off, as the master reads it; only absent falls back.
    const hook = chosen[name] !== undefined ? chosen[name] : top[name];
    // The master validated config.ts already; anything else here is ignored, not fatal.
    if (typeof hook === "function") hooks[name] = hook as never;
  }
  return hooks;
}
