/**
 * Hello world that takes its request, as real apps do (routers read the
 * method and URL). Deno builds a `Request` and its info for every call of a
 * handler that declares parameters, so this app measures servers on the
 * path real apps take: `deno task bench --app scripts/bench/hello_request_app.ts`.
 *
 * @module
 */
export default {
  fetch(request: Request): Response {
    return new Response(request.method === "GET" ? "Hello, World!\n" : "Hello!\n");
  },
};
