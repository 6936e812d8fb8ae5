/**
 * The embedded app served when no app module is configured: a page saying
 * Herd is running, and health endpoints for load balancers.
 *
 * - `GET /`: a small self-contained HTML page (version, worker id, pid)
 * - `GET /healthz`: `200 {"status":"ok"}` while the process serves
 * - `GET /readyz`: `200`, or `503` while this worker drains, so a load
 *   balancer stops sending it traffic before it goes
 * - anything else: `404`
 *
 * @example
 * ```ts
 * import { createDefaultApp } from "./default_app.ts";
 * Deno.serve({ port: 0 }, createDefaultApp({ workerId: 1, isDraining: () => false }));
 * ```
 *
 * @module
 */
import { VERSION } from "../version.ts";
import type { FetchHandler } from "./request_guard.ts";

/** What the default app shows about its worker. */
export interface DefaultAppOptions {
  /**
   * The worker's slot number; 0 outside a worker.
   * @default {0}
   */
  workerId?: number;
  /**
   * True while the worker drains: `/readyz` then answers 503.
   * @default {() => false}
   */
  isDraining?: () => boolean;
}

const JSON_TYPE = { "content-type": "application/json" };

/**
 * Builds the default app.
 *
 * @example
 * ```ts
 * import { createDefaultApp } from "./default_app.ts";
 * const app = createDefaultApp();
 * const res = await app(new Request("http://localhost/healthz"), {} as Deno.ServeHandlerInfo);
 * res.status; // 200
 * ```
 */
export function createDefaultApp(options: DefaultAppOptions = {}): FetchHandler {
  const { workerId = 0, isDraining = () => false } = options;
  const page = renderPage(workerId);
  return (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    switch (new URL(req.url).pathname) {
      case "/":
        return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
      case "/healthz":
        return new Response('{"status":"ok"}', { headers: JSON_TYPE });
      case "/readyz":
        return isDraining()
          ? new Response('{"status":"draining"}', { status: 503, headers: JSON_TYPE })
          : new Response('{"status":"ready"}', { headers: JSON_TYPE });
      default:
        return new Response("Not Found\n", { status: 404 });
    }
  };
}

function renderPage(workerId: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Herd is running</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f2f2f2;padding:0 .25rem}</style>
</head>
<body>
<h1>Herd is running</h1>
<p>This is the default app. Serve your own with <code>deno task serve app.ts</code> in Herd's
directory, or build it into one binary with Herd's <code>serve()</code> (see the README).</p>
<p>Herd ${VERSION} · worker ${workerId} · pid ${Deno.pid}</p>
</body>
</html>
`;
}
