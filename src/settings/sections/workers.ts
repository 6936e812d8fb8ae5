/**
 * Settings of the section "Workers": how many, of which class, and how long
 * they may take.
 *
 * @module
 */
import { defineSetting } from "../setting.ts";
import { int, intOrAuto, oneOf, seconds } from "../coerce.ts";

const SECTION = "Workers";

/** The most workers a master runs: the `workers` setting's bound, and TTIN's. */
export const MAX_WORKERS = 1024;

/** The settings of this section, in documentation order. */
export const workerSettings = [
  defineSetting({
    name: "workers",
    section: SECTION,
    short: "w",
    meta: "INT|auto",
    parse: intOrAuto({ min: 1, max: MAX_WORKERS }),
    default: "auto",
    doc:
      "Number of worker processes. `auto`: the effective CPU count (affinity and cgroup quota aware) for `async` workers, (2 × CPUs) + 1 for `sync` workers. `WEB_CONCURRENCY` (set by container platforms) is honoured when no workers count is configured.",
  }),
  defineSetting({
    name: "worker_class",
    section: SECTION,
    short: "k",
    meta: "CLASS",
    parse: oneOf(["sync", "async"] as const, { gevent: "async", eventlet: "async" }),
    default: "async",
    doc:
      "`sync`: one request at a time per worker. `async` (aliases `gevent`, `eventlet`): up to `worker_connections` at once.",
  }),
  defineSetting({
    name: "worker_connections",
    section: SECTION,
    meta: "INT",
    parse: int({ min: 1, max: 1_000_000 }),
    default: 1000,
    doc: "Most requests in flight per `async` worker; past it, `503` with `Retry-After`.",
  }),
  defineSetting({
    name: "timeout",
    section: SECTION,
    short: "t",
    meta: "SECONDS",
    parse: seconds(),
    default: 30,
    doc:
      "A request not answered within this gets `503` (a `sync` worker, whose one slot its handler still holds, is then replaced); a worker blocked for this long (its event loop silent: no heartbeat for `timeout` + 1 s) is killed and replaced. 0 disables both.",
  }),
  defineSetting({
    name: "graceful_timeout",
    section: SECTION,
    meta: "SECONDS",
    parse: seconds(),
    default: 30,
    doc:
      "On stop, reload or recycle: how long in-flight requests may run before their worker is killed.",
  }),
  defineSetting({
    name: "boot_timeout",
    section: SECTION,
    meta: "SECONDS",
    parse: seconds({ min: 1 }),
    default: 30,
    doc:
      "A worker not listening within this after it got its configuration (after spawn, until it connects) is killed and counts as a boot failure.",
  }),
  defineSetting({
    name: "keepalive",
    section: SECTION,
    meta: "SECONDS",
    parse: seconds({ max: 3600 }),
    default: 2,
    doc:
      "Keep-alive idle time advertised to clients. 0 closes every connection after its response. See the README for what the runtime enforces.",
  }),
  defineSetting({
    name: "keepalive_requests",
    section: SECTION,
    meta: "INT",
    parse: int({ min: 0 }),
    default: 1000,
    doc:
      "Most requests per keep-alive connection; the last response says `Connection: close`. 0: no cap. For an app whose `fetch` takes no parameters (and no access log, hooks or limits), Deno builds no request, so connections cannot be told apart: this cap and the `Keep-Alive` hint do not apply (recycling and reloads still close connections), and the master logs this once (again after a reload).",
  }),
] as const;
