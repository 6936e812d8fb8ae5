/**
 * Keeps SIGUSR1 from opening a V8 inspector in Herd's processes.
 *
 * Since Deno 2.9.2 (denoland/deno#35738) a SIGUSR1 sent to any Deno process
 * starts an inspector on 127.0.0.1:9229 — a debugger any local user can
 * attach to, with the full power of the process. A JavaScript listener does
 * not prevent it, and Deno has no flag to turn it off. Deno installs its
 * process-wide handler about 500 ms after start (before that, SIGUSR1 kills
 * the process with the default action).
 *
 * The master calls {@linkcode guardInspectorSignal}, which uses libc over
 * FFI for two things:
 *
 * - **Its children:** it blocks SIGUSR1 in the calling thread, the one
 *   `Deno.Command` spawns from. A child inherits that signal mask across
 *   exec, and every thread the child's runtime creates inherits it in turn,
 *   so a SIGUSR1 sent to a worker stays pending and never reaches Deno's
 *   handler. Workers therefore need no FFI and no guard of their own.
 *   Measured on Linux with Deno 2.9.6: all of a worker's threads show the
 *   signal blocked, `kill -USR1` opens no port and the worker keeps serving.
 *   Processes an app spawns inherit the block as well; one that relies on
 *   SIGUSR1 must unblock it.
 * - **Itself:** its other threads were created before the block and still
 *   accept the signal, so it also sets `SIG_IGN` through `signal()`, at once
 *   and again every 10 ms until it has replaced Deno's handler: the window
 *   in which a SIGUSR1 would open the master's inspector is at most 10 ms.
 *
 * Needs `--allow-ffi` (the master runs with `-A`). Without it, or off
 * Linux/macOS, the guard reports why it could not act and the README's
 * containment advice applies.
 *
 * To debug a Herd process on purpose, start it with `--inspect=127.0.0.1:PORT`.
 *
 * @module
 */
import { errorMessage } from "../error_text.ts";

const SIGUSR1 = { linux: 10, darwin: 30 } as const;
const SIG_BLOCK = { linux: 0, darwin: 1 } as const;
const SIG_IGN = 1n;
// Large enough for any platform's sigset_t (glibc's is 128 bytes, macOS's 4).
const SIGSET_BYTES = 128;
// A signal() call is a few µs: polling this often for the first ~500 ms costs nothing.
const RETRY_MS = 10;
const GIVE_UP_MS = 10_000;

/** How the guard ended. */
export type GuardOutcome =
  | { guarded: true }
  | { guarded: false; reason: string };

/**
 * Blocks SIGUSR1 in the calling thread at once (so every process spawned
 * from it afterwards starts with the signal blocked), then guards this
 * process. Resolves once Deno's SIGUSR1 handler has been replaced by
 * `SIG_IGN`, or with the reason it could not be. The retry timer is
 * unref'd: it never keeps a process alive.
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
  const signo = SIGUSR1[os];
  let signal: (signo: number, handler: bigint) => bigint | number;
  let blocked: boolean;
  try {
    const lib = Deno.dlopen(os === "linux" ? "libc.so.6" : "libSystem.dylib", {
      signal: { parameters: ["i32", "usize"], result: "usize" },
      // On Linux and macOS, sigprocmask() in a threaded process sets the calling thread's mask.
      sigprocmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    });
    signal = lib.symbols.signal as typeof signal;
    const set = new Uint32Array(SIGSET_BYTES / 4);
    set[(signo - 1) >> 5] |= 1 << ((signo - 1) & 31);
    blocked = lib.symbols.sigprocmask(SIG_BLOCK[os], set, null) === 0;
  } catch (e) {
    const why = errorMessage(e);
    return Promise.resolve({ guarded: false, reason: `cannot load libc: ${why}` });
  }
  const started = Date.now();
  // This process is guarded either way; its children only if the block held.
  const outcome: GuardOutcome = blocked
    ? { guarded: true }
    : { guarded: false, reason: "sigprocmask() failed: workers would not inherit the block" };
  return new Promise((resolve) => {
    const attempt = () => {
      // The previous disposition tells whether Deno's handler was installed:
      // 0 (SIG_DFL) or 1 (our own SIG_IGN) means not yet, so try again later.
      const previous = BigInt(signal(signo, SIG_IGN));
      if (previous > SIG_IGN) return resolve(outcome);
      if (Date.now() - started > GIVE_UP_MS) {
        // Deno never installed its handler (older runtime): SIG_IGN stays, which is safe.
        return resolve(outcome);
      }
      Deno.unrefTimer(setTimeout(attempt, RETRY_MS));
    };
    attempt();
  });
}
