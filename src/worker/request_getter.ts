/**
 * Replaces one getter of `Request.prototype`, once per process, with one
 * that wraps the runtime's. Herd changes what the app reads of a request
 * this way (`signal` for `timeout`, `url` behind a TLS proxy) because a copy
 * of the request with other values costs ~8 µs, twice a hello-world
 * request; a request carries what the new getter needs in a symbol-keyed
 * slot instead (see `request_signal.ts`, `forwarded_scheme.ts`).
 *
 * @example
 * ```ts
 * import { wrapRequestGetter } from "./request_getter.ts";
 * wrapRequestGetter("url", (runtime) => function (this: Request) {
 *   return runtime.call(this);
 * });
 * ```
 *
 * @module
 */

const wrapped = new Set<string>();

/**
 * Replaces `Request.prototype[name]`'s getter with `wrap(runtimeGetter)`.
 * Idempotent per name. Returns false, and changes nothing, on a runtime
 * whose `Request` has no such getter.
 *
 * @example
 * ```ts
 * import { wrapRequestGetter } from "./request_getter.ts";
 * wrapRequestGetter("signal", (runtime) => function (this: Request) {
 *   return runtime.call(this);
 * }); // true
 * ```
 */
export function wrapRequestGetter<T>(
  name: "signal" | "url",
  wrap: (runtime: (this: Request) => T) => (this: Request) => T,
): boolean {
  if (wrapped.has(name)) return true;
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name);
  const runtime = descriptor?.get;
  if (!descriptor || !runtime) return false;
  Object.defineProperty(Request.prototype, name, { ...descriptor, get: wrap(runtime) });
  wrapped.add(name);
  return true;
}
