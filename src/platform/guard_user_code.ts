/**
 * Guards the master against code Herd runs but does not own: config.ts (its
 * module code and its hooks) and a `serve()` program's own module. Deno ends
 * a process with a stack trace on an error no code awaited (a throw from a
 * timer, a promise rejected with no handler), and `Deno.exit()` ends it at
 * once: in the master either takes every worker down and leaves its pidfile
 * and control socket behind. Workers have their own handling (`worker.ts`).
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
 * process. Meant for loading a module (nothing else of this process may
 * exit meanwhile): `Deno.exit` is restored when `load` settles.
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
  const restore = swapExit((call) =>
    `${who} called ${call} while being loaded: it must not end the process`
  );
  try {
    return await load();
  } finally {
    restore();
  }
}

/**
 * Runs `call` with `Deno.exit()` turned into a throw of `message`, and
 * restores it as soon as `call` returns: for code that may go on
 * asynchronously after that (a hook), while the rest of the process may
 * need to exit. Only the synchronous part is guarded.
 *
 * @example
 * ```ts
 * import { refuseExitDuring } from "./guard_user_code.ts";
 * try {
 *   refuseExitDuring("a hook must not end the master", () => Deno.exit(0));
 * } catch (error) {
 *   console.error((error as Error).message); // it called Deno.exit(0): a hook must not end the master
 * }
 * ```
 */
export function refuseExitDuring<T>(message: string, call: () => T): T {
  const restore = swapExit((exit) => `it called ${exit}: ${message}`);
  try {
    return call();
  } finally {
    restore();
  }
}

// Replaces `Deno.exit` and Node's `process.exit` (npm code calls that one) with a throw of
// `message(call)`; returns what puts them back.
function swapExit(message: (call: string) => string): () => void {
  const deno = Deno.exit;
  // Absent where Deno does not provide Node's globals.
  const node = globalThis.process as { exit(code?: number): never } | undefined;
  const nodeExit = node?.exit;
  const refuse = (name: string) => (code?: number): never => {
    throw new Error(message(`${name}(${code ?? ""})`));
  };
  Deno.exit = refuse("Deno.exit");
  if (node) node.exit = refuse("process.exit");
  return () => {
    Deno.exit = deno;
    if (node && nodeExit) node.exit = nodeExit;
  };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
