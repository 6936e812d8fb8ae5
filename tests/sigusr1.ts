/**
 * What the SIGUSR1 tests look at: whether an inspector answers on
 * 127.0.0.1:9229 (Deno's default port), and which threads of a process
 * block the signal.
 *
 * @module
 */

/** SIGUSR1 (signal 10 on Linux) as a bit of a `SigBlk` mask. */
export const SIGUSR1_BIT: bigint = 1n << 9n;

/**
 * True when a TCP connection to 127.0.0.1:9229 succeeds.
 *
 * @example
 * ```ts
 * import { inspectorPortOpen } from "./sigusr1.ts";
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

/**
 * The blocked-signal mask (`SigBlk`) of every thread of `pid` (Linux).
 *
 * @example
 * ```ts
 * import { SIGUSR1_BIT, threadSignalMasks } from "./sigusr1.ts";
 * threadSignalMasks(Deno.pid).every((mask) => (mask & SIGUSR1_BIT) !== 0n);
 * ```
 */
export function threadSignalMasks(pid: number): bigint[] {
  return [...Deno.readDirSync(`/proc/${pid}/task`)].map((task) => {
    const status = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/status`);
    return BigInt(`0x${/SigBlk:\s*(\w+)/.exec(status)![1]}`);
  });
}
