/**
 * Whether something answers on 127.0.0.1:9229, Deno's default inspector
 * port: the SIGUSR1 tests check that no inspector opened.
 *
 * @module
 */

/**
 * True when a TCP connection to 127.0.0.1:9229 succeeds.
 *
 * @example
 * ```ts
 * import { inspectorPortOpen } from "./inspector_port.ts";
 * await inspectorPortOpen(); // false unless a debugger is listening
 * ```
 */
export async function inspectorPortOpen(): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port: 9229 })).close();
    return true;
  } catch {
    return false;
  }
}
