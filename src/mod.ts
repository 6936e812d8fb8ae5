/**
 * Herd's public API, for programs that embed Herd (a compiled binary that
 * serves its own app). A config.ts imports `defineConfig` from `config.ts`
 * instead, which leaves the rest of Herd out of the workers.
 *
 * @example A program that serves its own app
 * ```ts
 * import { defineConfig, serve } from "./mod.ts";
 * await serve({ fetch: () => new Response("hi") }, defineConfig({ workers: 4 }));
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
