/**
 * BioRemPP's server configuration: the `gunicorn_config.py` of its
 * documentation, for Herd. Every value below can be overridden by the
 * `BIOREMPP_*` environment variables (or a `.env` file) and by CLI flags.
 *
 * | variable                      | default | typical   |
 * | ----------------------------- | ------- | --------- |
 * | `BIOREMPP_WORKERS`            | 4       | 2–8       |
 * | `BIOREMPP_WORKER_CLASS`       | sync    | sync, gevent |
 * | `BIOREMPP_WORKER_CONNECTIONS` | 1000    | 500–2000 (gevent/eventlet only) |
 * | `BIOREMPP_TIMEOUT`            | 60      | 60–300    |
 * | `BIOREMPP_KEEPALIVE`          | 5       | 2–10      |
 * | `BIOREMPP_LOG_LEVEL`          | info    |           |
 * | `BIOREMPP_ENV`                | development | production, development |
 * | `BIOREMPP_HOST`               | 127.0.0.1 (0.0.0.0 in production) | 0.0.0.0 in containers |
 *
 * @module
 */
import { defineConfig } from "../../src/config.ts";

export default defineConfig({
  envPrefix: "BIOREMPP",
  port: 8080,
  workers: 4,
  worker_class: "sync",
  timeout: 60,
  keepalive: 5,
  // Periodic restarts mitigate memory leaks; the jitter keeps workers from restarting together.
  max_requests: 1000,
  max_requests_jitter: 50,
  // Load the app once before the workers start (Gunicorn's preload_app=True).
  preload: true,
  profiles: {
    production: {
      access_log: "logs/gunicorn_access.log",
      error_log: "logs/gunicorn_error.log",
    },
    // development: access log to stdout, error log to stderr (Herd's defaults).
  },

  on_starting(master) {
    const s = master.settings;
    master.log.info(
      `Starting BioRemPP: env=${s.env} workers=${s.workers} worker_class=${s.worker_class} ` +
        `timeout=${s.timeout}s keepalive=${s.keepalive}s max_requests=${s.max_requests}` +
        `±${s.max_requests_jitter} log_level=${s.log_level}`,
    );
  },
  when_ready(master) {
    master.log.info(`BioRemPP is ready: ${master.workers.length} workers serving`);
  },
  post_fork(master, worker) {
    master.log.info(`Worker spawned (pid: ${worker.pid})`);
  },
  worker_abort(master, worker) {
    master.log.warning(`Worker aborted after a timeout (pid: ${worker.pid})`);
  },
  on_exit(master) {
    master.log.info("BioRemPP shut down gracefully");
  },
});
