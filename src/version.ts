/**
 * Herd's version, read from deno.json so there is one place to bump it.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`herd ${VERSION}`);
 * ```
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The version of this Herd build. */
export const VERSION: string = denoJson.version;
