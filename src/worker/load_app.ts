/**
 * Imports the app module and checks its shape. It accepts exactly what
 * `deno serve` accepts: a default export that is an object with a `fetch`
 * method (Hono apps qualify; `this` stays bound) and optionally an
 * `onListen(localAddr)`, which each worker calls for each address it
 * listens on, or a handler function. The CLI's `check` command uses it too.
 *
 * @example
 * ```ts
 * import { loadApp } from "./load_app.ts";
 * const app = await loadApp("app.ts", Deno.cwd());
 * Deno.serve({ port: 0 }, app.fetch);
 * ```
 *
 * @module
 */
import { fileUrl, hasScheme } from "../platform/file_url.ts";
import { createDefaultApp } from "./default_app.ts";
import { importFailure, workerPermissionAdvice } from "../error_text.ts";
import type { FetchHandler } from "./request_guard.ts";

/** An app ready to be served. */
export interface LoadedApp {
  /** The handler, bound to its object when the export was `{ fetch }`. */
  readonly fetch: FetchHandler;
  /** The export's `onListen`, bound to it, or null: called once per address listened on. */
  readonly onListen: ((localAddr: Deno.Addr) => void) | null;
  /** The imported module's URL, or null for the embedded default app. */
  readonly url: string | null;
}

/** The app module could not be imported or has the wrong shape (exit code 4). */
export class AppLoadError extends Error {
  /**
   * @example
   * ```ts
   * import { AppLoadError } from "./load_app.ts";
   * throw new AppLoadError('Cannot import app "app.ts": Module not found "file:///x/app.ts"');
   * ```
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AppLoadError";
  }
}

/**
 * Loads the app at `path` (relative to `cwd`, or a URL), or the embedded
 * default app when `path` is null. Throws {@linkcode AppLoadError} with a
 * one-line message naming the module.
 *
 * @example
 * ```ts
 * import { loadApp } from "./load_app.ts";
 * const fallback = await loadApp(null, Deno.cwd());
 * fallback.url; // null
 * ```
 */
export async function loadApp(path: string | null, cwd: string): Promise<LoadedApp> {
  if (path === null) return { fetch: createDefaultApp(), onListen: null, url: null };
  const url = moduleUrl(path, cwd);
  let mod: { default?: unknown };
  try {
    mod = await import(url);
  } catch (error) {
    throw new AppLoadError(
      `Cannot import app "${path}": ${workerPermissionAdvice(importFailure(error))}`,
      { cause: error },
    );
  }
  if (!("default" in mod)) {
    const named = Object.keys(mod);
    throw new AppLoadError(
      `"${path}" has no default export: export default { fetch } or a handler function` +
        (named.length === 0 ? "" : ` (it exports ${named.map((n) => `"${n}"`).join(", ")})`),
    );
  }
  return { ...handlersOf(mod.default, `default export of "${path}"`), url };
}

/**
 * The app given to `serve(app, config)` (an embedding program's own app),
 * checked exactly like a module's default export.
 *
 * @example
 * ```ts
 * import { embeddedApp } from "./load_app.ts";
 * embeddedApp({ fetch: () => new Response("hi") }).url; // "embedded:serve()"
 * ```
 */
export function embeddedApp(app: unknown): LoadedApp {
  return { ...handlersOf(app, "app given to serve()"), url: "embedded:serve()" };
}

function handlersOf(exported: unknown, what: string): Omit<LoadedApp, "url"> {
  const isClass = typeof exported === "function" &&
    /^class\b/.test(Function.prototype.toString.call(exported));
  if (typeof exported === "function" && !isClass) {
    return { fetch: exported as FetchHandler, onListen: null };
  }
  // A class is a function too, but calling one throws (every request would be a 500); one
  // with a static fetch is an object with a fetch method, as `deno serve` takes it.
  if (isClass && !("fetch" in (exported as object))) {
    throw new AppLoadError(
      `Invalid ${what}: a class, which cannot be called; export an instance ` +
        "(export default new App()) or an object with a fetch method",
    );
  }
  if (exported !== null && (typeof exported === "object" || isClass) && "fetch" in exported) {
    const fetch = (exported as { fetch: unknown }).fetch;
    if (typeof fetch !== "function") {
      throw new AppLoadError(
        `Invalid ${what}: its fetch must be a function, got ${typeof fetch}`,
      );
    }
    const onListen = (exported as { onListen?: unknown }).onListen;
    if (onListen !== undefined && typeof onListen !== "function") {
      throw new AppLoadError(
        `Invalid ${what}: its onListen must be a function, got ${typeof onListen}`,
      );
    }
    return {
      fetch: fetch.bind(exported) as FetchHandler,
      onListen: onListen === undefined ? null : onListen.bind(exported),
    };
  }
  throw new AppLoadError(
    `Invalid ${what}: must be a function or an object with a fetch method`,
  );
}

function moduleUrl(path: string, cwd: string): string {
  return hasScheme(path) ? path : fileUrl(path, cwd);
}
