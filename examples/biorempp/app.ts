/**
 * A small stand-in for the BioRemPP web service: a page, a JSON endpoint
 * that does a little work, an upload endpoint, and a health check.
 *
 * @module
 */

const DATABASES = ["BioRemPP", "HADEG", "KEGG", "ToxCSM"];

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
      case "/health":
        return Response.json({ status: "ok" });
      default:
        return new Response("Not Found\n", { status: 404 });
    }
  },
};
