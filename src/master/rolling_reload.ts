/**
 * HUP: a rolling reload. The new configuration becomes a new generation;
 * every serving worker of an older one is marked to retire, and the arbiter's
 * plan replaces them one at a time, each new worker listening before its
 * predecessor drains. If a new worker cannot boot, the reload is abandoned
 * and the old workers keep serving.
 *
 * @module
 */
import type { Resolved } from "../settings/resolved.ts";
import type { Workforce } from "./workforce.ts";

/** A reload in progress. */
export interface Reload {
  /** The generation being replaced. */
  from: number;
  /** The generation being started. */
  to: number;
  /** The worker count before the reload, restored if it is abandoned. */
  previousTarget: number;
}

/**
 * Makes `next` the configuration of a new generation and marks every
 * serving worker to retire with reason `reload`.
 *
 * @example
 * ```ts
 * import { beginReload } from "./rolling_reload.ts";
 * // const reload = beginReload(workforce, { resolved, previousTarget: 2 });
 * ```
 */
export function beginReload(
  workforce: Workforce,
  next: { resolved: Resolved; previousTarget: number },
): Reload {
  const from = workforce.generation;
  const generations = [
    ...workforce.configs.keys(),
    ...[...workforce.workers.values()].map((w) => w.generation),
  ];
  const to = Math.max(...generations) + 1;
  workforce.configs.set(to, next.resolved);
  workforce.generation = to;
  for (const w of workforce.active()) w.retire ??= "reload";
  return { from, to, previousTarget: next.previousTarget };
}

/**
 * True once no serving worker belongs to an older generation; the old
 * configurations are then forgotten.
 *
 * @example
 * ```ts
 * import { finishReload } from "./rolling_reload.ts";
 * // if (finishReload(workforce, reload)) log.info("Reload complete");
 * ```
 */
export function finishReload(workforce: Workforce, reload: Reload): boolean {
  if (workforce.active().some((w) => w.generation !== reload.to)) return false;
  for (const generation of workforce.configs.keys()) {
    if (generation !== reload.to) workforce.configs.delete(generation);
  }
  return true;
}

/**
 * Abandons a reload: the old configuration is current again and the old
 * workers stop retiring. New-generation workers still booting are returned
 * for the caller to stop (`booting`); those already serving are marked to
 * retire, so the fleet goes back to one configuration, the old one
 * (`rolledBack` counts them).
 *
 * @example
 * ```ts
 * import { abandonReload } from "./rolling_reload.ts";
 * // const { booting } = abandonReload(workforce, reload);
 * // for (const w of booting) w.process.kill("SIGKILL");
 * ```
 */
export function abandonReload(
  workforce: Workforce,
  reload: Reload,
): { booting: ReturnType<Workforce["active"]>; rolledBack: number } {
  workforce.generation = reload.from;
  workforce.configs.delete(reload.to);
  const booting = [];
  let rolledBack = 0;
  for (const w of workforce.active()) {
    if (w.retire === "reload") w.retire = null;
    if (w.generation !== reload.to) continue;
    if (w.state === "booting") {
      booting.push(w);
    } else {
      w.retire = "reload";
      rolledBack++;
    }
  }
  return { booting, rolledBack };
}
