/**
 * What a config.ts imports: {@linkcode defineConfig} and the types of the
 * configuration and its hooks, and nothing else of Herd. Each setting's
 * documentation is on its key of {@linkcode Settings}, so an editor shows it
 * in `defineConfig({...})`.
 *
 * A worker imports config.ts when it sets a worker-side hook
 * (`post_worker_init`, `pre_request`, `post_request`), so whatever config.ts
 * imports is loaded into every worker. From here that is one small module;
 * from `mod.ts` it would be all of Herd, the master and the CLI included.
 *
 * @example config.ts
 * ```ts
 * import { defineConfig } from "./config.ts";
 * export default defineConfig({
 *   workers: 4,
 *   pre_request: (worker, request) => worker.log.debug(`${request.method} ${request.url}`),
 * });
 * ```
 *
 * @module
 */
export { defineConfig } from "./settings/user_config.ts";
export type { ConfigSettings, UserConfig } from "./settings/user_config.ts";
export type { Settings, SettingsInputForms } from "./settings/settings_interface.ts";
export type {
  ExitReason,
  ExitStatus,
  HookName,
  Hooks,
  MasterContext,
  MaybePromise,
  WorkerContext,
  WorkerInfo,
} from "./hooks.ts";
export type { Logger, LogLevel } from "./logging/log.ts";
export type { Profile } from "./settings/setting.ts";
