/**
 * Keeps SIGUSR1 from opening a V8 inspector in a Herd process.
 *
 * Since Deno 2.9.2 (denoland/deno#35738) a SIGUSR1 sent to any Deno process
 * starts an inspector on 127.0.0.1:9229 — a debugger any local user can
 * attach to, with the full power of the process. A JavaScript listener does
 * not prevent it, and Deno has no flag to turn it off. Deno installs its
 * process-wide handler about 500 ms after start (before that, SIGUSR1 kills
 * the process with the default action).
 *
 * The guard sets `SIG_IGN` through libc's `signal()` (FFI) at once, and
 * again every 10 ms until it has replaced Deno's handler, so a later install
 * cannot win and the window in which a SIGUSR1 would open the inspector is
 * at most 10 ms. `SIG_IGN` survives exec, so the workers a guarded master
 * spawns ignore SIGUSR1 from their first instruction. Measured on Deno
 * 2.9.6: after the guard, `kill -USR1` opens no port and the process keeps
 * running. Needs `--allow-ffi` only while it binds `signal()`: the master
 * runs with `-A`, and a sandboxed worker revokes FFI right after (see
 * `ffiIsHerds` in `src/master/worker_permissions.ts`). Without it, or off
 * Linux/macOS, the guard reports why it could not act and the README's
 * containment advice applies.
 *
 * To debug a Herd process on purpose, start it with `--inspect=127.0.0.1:PORT`.
 *
 * @module
 */

const SIGUSR1 = { linux: 10, darwin: 30 } as const;
const SIG_IGN = 1n;
// A signal() call is a few µs: polling this often for the first ~500 ms costs nothing.
const RETRY_MS = 10;
const GIVE_UP_MS = 10_000;

/** How the guard ended. */
export type GuardOutcome =
  | { guarded: true }
  | { guarded: false; reason: string };

/**
 * Starts guarding this process. Resolves once Deno's SIGUSR1 handler has
 * been replaced by `SIG_IGN`, or with the reason it could not be. The retry
 * timer is unref'd: it never keeps a process alive.
 *
 * @example
 * ```ts
 * import { guardInspectorSignal } from "./inspector_guard.ts";
 * const outcome = await guardInspectorSignal();
 * if (!outcome.guarded) console.warn(outcome.reason);
 * ```
 */
export function guardInspectorSignal(): Promise<GuardOutcome> {
  const os = Deno.build.os;
  if (os !== "linux" && os !== "darwin") {
    return Promise.resolve({ guarded: false, reason: `no SIGUSR1 on ${os}` });
  }
  let signal: (signo: number, handler: bigint) => bigint | number;
  try {
    const lib = Deno.dlopen(os === "linux" ? "libc.so.6" : "libSystem.dylib", {
      signal: { parameters: ["i32", "usize"], result: "usize" },
    });
    signal = lib.symbols.signal as typeof signal;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return Promise.resolve({ guarded: false, reason: `cannot load libc signal(): ${why}` });
  }
  const signo = SIGUSR1[os];
  const started = Date.now();
  return new Promise((resolve) => {
    const attempt = () => {
      // The previous disposition tells whether Deno's handler was installed:
      // 0 (SIG_DFL) or 1 (our own SIG_IGN) means not yet, so try again later.
      const previous = BigInt(signal(signo, SIG_IGN));
      if (previous > SIG_IGN) return resolve({ guarded: true });
      if (Date.now() - started > GIVE_UP_MS) {
        // Deno never installed its handler (older runtime): SIG_IGN stays, which is safe.
        return resolve({ guarded: true });
      }
      Deno.unrefTimer(setTimeout(attempt, RETRY_MS));
    };
    attempt();
  });
}
