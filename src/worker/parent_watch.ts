/**
 * Notices that the master is gone, so no worker outlives it: the master may
 * have been SIGKILLed and cannot tell anyone.
 *
 * Two detectors (measured on Deno 2.9 with a SIGKILLed parent): EOF on
 * stdin, which the master holds as a pipe it never writes (seen within 3 ms
 * of its death),
 * and a poll of `Deno.ppid`, which becomes 1 (or a subreaper) when the
 * worker is re-parented; the poll also covers a stdin that is not a pipe.
 * The control channel's EOF is the third, watched by the worker itself.
 *
 * @example
 * ```ts
 * import { watchParent } from "./parent_watch.ts";
 * using watch = watchParent({ onGone: (why) => { console.error(why); Deno.exit(6); } });
 * ```
 *
 * @module
 */
import { every } from "../platform/timer.ts";

/** Options of {@linkcode watchParent}. */
export interface ParentWatchOptions {
  /** Called once, with a one-line reason, when the parent is gone. */
  onGone: (reason: string) => void;
  /**
   * `Deno.ppid` poll period in ms.
   * @default {500}
   */
  pollMs?: number;
  /**
   * Watch stdin for EOF (only when it is a pipe).
   * @default {true}
   */
  stdin?: boolean;
}

/**
 * Starts watching. Dispose the result to stop the poll (the stdin read
 * stays pending; it is harmless).
 *
 * @example
 * ```ts
 * import { watchParent } from "./parent_watch.ts";
 * const watch = watchParent({ onGone: () => {}, stdin: false });
 * watch[Symbol.dispose]();
 * ```
 */
export function watchParent(options: ParentWatchOptions): Disposable {
  const { onGone, pollMs = 500, stdin = true } = options;
  let gone = false;
  const report = (reason: string) => {
    if (gone) return;
    gone = true;
    onGone(reason);
  };
  const parent = Deno.ppid;
  const timer = every(pollMs, () => {
    if (Deno.ppid !== parent) report(`Parent process ${parent} is gone (ppid is now ${Deno.ppid})`);
  });
  if (stdin) watchStdin(() => report("Stdin closed: the master is gone"));
  return { [Symbol.dispose]: () => timer.cancel() };
}

async function watchStdin(onEof: () => void): Promise<void> {
  // A terminal or /dev/null is not the master's pipe: EOF there means nothing. When stdin
  // cannot be inspected (no read permission), trust the contract: the master pipes it.
  if (Deno.stdin.isTerminal()) return;
  const info = await Deno.stat("/dev/stdin").catch(() => null);
  if (info !== null && info.isFifo === false) return;
  const buf = new Uint8Array(256);
  try {
    while ((await Deno.stdin.read(buf)) !== null) {
      // The master never writes; anything read is ignored.
    }
  } catch {
    // A read error on the pipe means the same as EOF.
  }
  onEof();
}
