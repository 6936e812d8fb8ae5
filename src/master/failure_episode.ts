/**
 * One line per episode of a failure the master retries until it passes
 * (accepts that fail for lack of a file descriptor, a port another program
 * holds, spawns the OS refuses): the first failure is said, not each retry,
 * and the recovery once, when its failure was said. Under steady pressure,
 * when failures and successes alternate, an episode is said at most once a
 * `quietMs`, not once per retry. An operation no longer tried (nothing needs
 * it now) ends its episode unsaid: see {@linkcode FailureEpisode.abandoned}.
 *
 * @module
 */

/** The shortest time between two episodes said, by default. */
export const EPISODE_QUIET_MS = 10_000;

/** Decides which failures and recoveries of one retried operation are logged. */
export class FailureEpisode {
  #failing = false;
  #saidAt = -Infinity;
  readonly #quietMs: number;
  readonly #now: () => number;

  /**
   * @example
   * ```ts
   * import { FailureEpisode } from "./failure_episode.ts";
   * const accepts = new FailureEpisode();
   * if (accepts.failed()) console.error("Cannot accept a connection: trying again");
   * if (accepts.passed()) console.info("Accepting connections again");
   * ```
   */
  constructor(options: { quietMs?: number; now?: () => number } = {}) {
    this.#quietMs = options.quietMs ?? EPISODE_QUIET_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Notes a failure; true when it is to be said: the first of an episode, `quietMs` after the last. */
  failed(): boolean {
    if (this.#failing || this.#now() - this.#saidAt < this.#quietMs) return false;
    this.#failing = true;
    this.#saidAt = this.#now();
    return true;
  }

  /** True while an episode whose failure was said has not passed. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Notes a success; true when it is to be said: it ends an episode whose failure was. */
  passed(): boolean {
    const said = this.#failing;
    this.#failing = false;
    return said;
  }

  /**
   * Notes that the operation is no longer tried (what needed it is gone): its episode ends,
   * unsaid, so that a later failure opens, and says, a new one.
   */
  abandoned(): void {
    this.#failing = false;
  }
}
