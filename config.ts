/**
 * Herd's own configuration (the `gunicorn_config.py` analogue), read by
 * `deno task serve`. It keeps every default, so Herd serves its embedded
 * default app on http://127.0.0.1:8080. Uncomment to change things; every
 * setting is listed in `docs/settings.md`, and `deno task serve --help`
 * shows the same list.
 *
 * Precedence, rising: defaults < this file < `profiles[env]` < `.env` <
 * environment (`HERD_*`) < command line.
 *
 * @module
 */
import { defineConfig } from "./src/config.ts";

/** The project's configuration. */
export default defineConfig({
  // app: "app.ts", //                   module to serve; unset: the embedded default app
  // port: 8080,
  // bind: ["0.0.0.0:8080"], //          overrides host and port
  // workers: "auto", //                 or a number; WEB_CONCURRENCY is honoured when unset
  // worker_class: "async", //           "sync": one request at a time per worker
  // timeout: 30, //                     seconds before 503 and a silent worker is killed
  // graceful_timeout: 30,
  // max_requests: 1000, //              recycle workers to bound leaks...
  // max_requests_jitter: 100, //        ...without restarting them all together
  // log_level: "info",
  // access_log_format: "json",
  //
  // profiles: {
  //   production: { workers: 4, access_log: "logs/access.log" },
  // },
  //
  // post_fork: (master, worker) => {
  //   master.log.info(`Worker ${worker.id} spawned (pid: ${worker.pid})`);
  // },
});
