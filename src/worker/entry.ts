/**
 * A worker's entry point in script mode. The master runs
 * `deno run <permissions> src/worker/entry.ts __worker` rather than
 * `main.ts __worker`, because Deno reads and analyses, at start, every
 * module reachable from the entry point, dynamic imports included: from
 * `main.ts` that is all of Herd (the CLI and the master), 1–2 MB of RSS in
 * each worker (Deno's dependency-analysis cache and the graph), for modules
 * a worker never runs. From here it is the worker's own graph.
 *
 * A compiled binary and a program that calls `serve()` re-execute
 * themselves instead (`self_command.ts`); the `__worker` argument is only
 * there so `ps` shows what the process is.
 *
 * @example
 * ```sh
 * _HERD_WORKER='{"id":1,"token":"…","control":"/tmp/herd-0/c.sock"}' \
 *   deno run -A src/worker/entry.ts __worker   # what the master runs
 * ```
 *
 * @module
 */
import { runWorker } from "./worker.ts";

if (import.meta.main) Deno.exit(await runWorker());
