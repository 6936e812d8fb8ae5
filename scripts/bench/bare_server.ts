/**
 * One bare `Deno.serve({ reusePort: true })` process serving the benchmark
 * app: the baseline Herd's workers are measured against. Usage:
 * `deno run -A scripts/bench/bare_server.ts PORT`.
 *
 * @module
 */
import app from "./hello_app.ts";

const port = Number(Deno.args[0]);
Deno.serve({ hostname: "127.0.0.1", port, reusePort: true, onListen() {} }, app.fetch);
