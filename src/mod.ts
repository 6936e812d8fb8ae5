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
// What a config.ts needs (defineConfig, the config and hook types) is in config.ts, so that a
// config.ts importing it loads nothing else of Herd into the workers.
export * from "./config.ts";
export { type App, serve } from "./serve.ts";
export type { DataSettings } from "./settings/table.ts";
export type { FetchHandler } from "./worker/request_guard.ts";
export { VERSION } from "./version.ts";
