/**
 * Guards the master against code Herd runs but does not own: config.ts (its
 * module code and its hooks) and a `serve()` program's own module. Deno ends
 * a process with a stack trace on an error no code awaited (a throw from a
 * timer, a promise rejected with no handler), and `Deno.exit()` ends it at
 * once: in the master either takes every worker down and leaves its pidfile
 * and control socket behind. Workers have their own handling (`worker.ts`).
 * The program's own exit goes through {@linkcode exitProcess}.
 *
 * @example
 * ```ts
 * import { catchStrayErrors, refuseExit } from "./guard_user_code.ts";
 * using _strays = catchStrayErrors((message) => console.error(message));
 * await refuseExit("config.ts", () => import("data:text/javascript,export default {}"));
 * ```
 *
 * @module
 */

/**
 * Reports, instead of dying of them, errors thrown where no code catches
 * them and promises rejected with no handler. Disposing stops it.
 *
 * @example
 * ```ts
 * import { catchStrayErrors } from "./guard_user_code.ts";
 * using _strays = catchStrayErrors((message) => console.error(`error: ${message}`));
 * Promise.reject(new Error("stray")); // "error: Unhandled promise rejection: stray"
 * ```
 */
export function catchStrayErrors(report: (message: string, error: unknown) => void): Disposable {
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    report(`Uncaught error: ${describe(event.error ?? event.message)}`, event.error);
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    report(`Unhandled promise rejection: ${describe(event.reason)}`, event.reason);
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return {
    [Symbol.dispose]() {
      globalThis.removeEventListener("error", onError);
      globalThis.removeEventListener("unhandledrejection", onRejection);
    },
  };
}

/**
 * Runs `load` with `Deno.exit()` turned into a throw that names `who`, so
 * code that calls it while being loaded fails to load instead of ending the
 * process: `Deno.exit` is restored when `load` settles.
 *
 * @example
 * ```ts
 * import { refuseExit } from "./guard_user_code.ts";
 * await refuseExit("config.ts", async () => {
 *   Deno.exit(0); // throws: config.ts called Deno.exit(0) ...
 * }).catch((error) => console.error(error.message));
 * ```
 */
export async function refuseExit<T>(who: string, load: () => Promise<T>): Promise<T> {
  using _refused = refuseExitUntilDisposed((call) =>
    `${who} called ${call} while being loaded: it must not end the process`
  );
  return await load();
}

/**
 * Turns `Deno.exit()` and Node's `process.exit()` into a throw of
 * `message(call)` until disposed: around code that goes on asynchronously (a
 * hook), so that its exit after an `await` is refused as one before it.
 * Refusals may overlap (a hook left running while another runs): the exits
 * are given back when the last is disposed, and meanwhile throw the latest
 * one's message. What must end the process anyway calls {@linkcode exitProcess}.
 *
 * @example
 * ```ts
 * import { refuseExitUntilDisposed } from "./guard_user_code.ts";
 * {
 *   using _refused = refuseExitUntilDisposed((call) => `it called ${call}: not now`);
 *   try {
 *     Deno.exit(0);
 *   } catch (error) {
 *     console.error((error as Error).message); // it called Deno.exit(0): not now
 *   }
 * }
 * ```
 */
export function refuseExitUntilDisposed(message: (call: string) => string): Disposable {
  const refusal = { message };
  if (refusals.length === 0) swapExit();
  refusals.push(refusal);
  return {
    [Symbol.dispose]() {
      const at = refusals.indexOf(refusal);
      if (at < 0) return; // disposed already
      refusals.splice(at, 1);
      if (refusals.length === 0) restoreExit();
    },
  };
}

/**
 * Ends the process with `code` through the real `Deno.exit`, even while a
 * refusal is in force (a hook the master stopped waiting for, still running):
 * the program's own exit, once the master has stopped.
 *
 * @example
 * ```ts
 * import { exitProcess } from "./guard_user_code.ts";
 * // exitProcess(await runCli(Deno.args));
 * ```
 */
export function exitProcess(code?: number): never {
  return (swapped?.denoExit ?? Deno.exit)(code);
}

// The refusals in force, the latest last.
const refusals: { message: (call: string) => string }[] = [];
// What the refusals replaced while any is in force: `Deno.exit` and Node's `process.exit` (npm
// code calls that one; absent where Deno does not provide Node's globals).
let swapped: { denoExit: Exit; nodeExit: Exit | undefined } | null = null;
type Exit = (code?: number) => never;

function swapExit(): void {
  const node = globalThis.process as { exit: Exit } | undefined;
  const denoExit = Deno.exit;
  const nodeExit = node?.exit;
  swapped = { denoExit, nodeExit };
  // One kept from a refusal's time (`const exit = Deno.exit`) and called after it is the real one.
  const refuse = (name: string, real: Exit) => (code?: number): never => {
    const latest = refusals.at(-1);
    if (latest === undefined) return real(code);
    throw new Error(latest.message(`${name}(${code ?? ""})`));
  };
  Deno.exit = refuse("Deno.exit", denoExit);
  if (node && nodeExit) node.exit = refuse("process.exit", (code) => nodeExit.call(node, code));
}

function restoreExit(): void {
  if (swapped === null) return;
  Deno.exit = swapped.denoExit;
  const node = globalThis.process as { exit: Exit } | undefined;
  if (node && swapped.nodeExit) node.exit = swapped.nodeExit;
  swapped = null;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
