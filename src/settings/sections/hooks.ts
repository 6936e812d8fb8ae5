/**
 * The hooks, declared in the table so that `docs/settings.md` and config.ts
 * typing cover them. They come from config.ts only: no flag, no variable.
 *
 * @module
 */
import { CoerceError, defineSetting } from "../setting.ts";
import { parser } from "../coerce.ts";
import type { HookName, Hooks } from "../../hooks.ts";

const SECTION = "Hooks";

function hook<const N extends HookName>(name: N, doc: string) {
  return defineSetting({
    name,
    section: SECTION,
    cli: false,
    env: false,
    parse: parser(`Hooks[${JSON.stringify(name)}] | null`, (raw): Hooks[N] | null => {
      if (raw === null || raw === undefined) return null;
      if (typeof raw !== "function") throw new CoerceError("a function");
      return raw as Hooks[N];
    }),
    default: null,
    doc,
  });
}

/** The hook settings, in the order they fire. */
export const hookSettings = [
  hook("on_starting", "`(master)`: before the master starts anything."),
  hook("on_reload", "`(master)`: on a reload, after the configuration was re-read."),
  hook("when_ready", "`(master)`: when every worker is listening after start."),
  hook("pre_fork", "`(master, worker)`: just before a worker is spawned."),
  hook("post_fork", "`(master, worker)`: just after a worker is spawned (its pid is known)."),
  hook("post_worker_init", "`(worker)`: in the worker, after the app loaded, before listening."),
  hook("pre_request", "`(worker, request)`: in the worker, before the app sees a request."),
  hook(
    "post_request",
    "`(worker, request, response, durationMs)`: in the worker, after the response.",
  ),
  hook("worker_abort", "`(master, worker)`: when a worker is killed for a timeout."),
  hook("worker_exit", "`(master, worker, reason)`: when a worker is told to leave."),
  hook("child_exit", "`(master, worker, status)`: after a worker process ended."),
  hook("nworkers_changed", "`(master, next, previous)`: after the worker count changed."),
  hook("on_exit", "`(master)`: just before the master exits."),
] as const;
