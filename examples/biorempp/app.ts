/**
 * A small stand-in for the BioRemPP web service: a page, a JSON endpoint
 * that does a little work, an upload endpoint, a deliberately blocking
 * endpoint, and a health check.
 *
 * @module
 */

const DATABASES = ["BioRemPP", "HADEG", "KEGG", "ToxCSM"];

// Counts how often this module was evaluated in this process. The Dash app
// behind the real service registers its callbacks at import time, so a second
// evaluation would register them twice (the documented preload pitfall);
// `/health` reports the count so that it can be checked from outside.
const LOADS_KEY = Symbol.for("biorempp.app.loads");
const loads = ((globalThis as Record<symbol, number>)[LOADS_KEY] ?? 0) + 1;
(globalThis as Record<symbol, number>)[LOADS_KEY] = loads;

/** Longest `/api/heavy-sync` block, so a stray request cannot wedge a worker for long. */
const MAX_BLOCK_MS = 60_000;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
        return new Response(
          "<!doctype html><title>BioRemPP</title><h1>BioRemPP Web Service</h1>" +
            "<p>Stand-in app served by Herd.</p>",
          { headers: { "content-type": "text/html; charset=utf-8" } },
        );
      case "/api/databases":
        return Response.json({ databases: DATABASES, pid: Deno.pid });
      case "/api/upload": {
        if (request.method !== "POST") return new Response("POST a file\n", { status: 405 });
        const body = await request.arrayBuffer();
        return Response.json({ received_bytes: body.byteLength });
      }
      case "/api/heavy-sync": {
        // Stands in for synchronous, CPU-bound processing of a large dataset:
        // it blocks the worker's event loop, which is what the master's
        // worker timeout (and the worker_abort hook) exists for.
        const ms = Math.min(Number(url.searchParams.get("ms") ?? 1000) || 0, MAX_BLOCK_MS);
        const until = Date.now() + ms;
        while (Date.now() < until) { /* busy: the event loop cannot run */ }
        return Response.json({ blocked_ms: ms, pid: Deno.pid });
      }
      case "/health":
        return Response.json({ status: "ok", pid: Deno.pid, app_loads: loads });
      default:
        return new Response("Not Found\n", { status: 404 });
    }
  },
};
