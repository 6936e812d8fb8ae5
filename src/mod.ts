/**
 * Herd's public API, for config.ts files and for programs that embed Herd
 * (a compiled binary that serves its own app).
 *
 * @example config.ts
 * ```ts
 * import { defineConfig } from "./src/mod.ts";
 * export default defineConfig({ workers: 4, timeout: 60 });
 * ```
 *
 * @module
 */
export { defineConfig } from "./settings/user_config.ts";
export { type App, serve } from "./serve.ts";
export type { ConfigSettings, UserConfig } from "./settings/user_config.ts";
export type { DataSettings, Settings } from "./settings/table.ts";
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
export type { FetchHandler } from "./worker/request_guard.ts";
export type { Profile } from "./settings/setting.ts";
export { VERSION } from "./version.ts";
