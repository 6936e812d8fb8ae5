/**
 * One bare `Deno.serve({ reusePort: true })` process serving the benchmark
 * app: the baseline Herd's workers are measured against. Usage:
 * `deno run -A scripts/bench/bare_server.ts PORT [APP]` (APP: a module in
 * the `deno serve` shape; default `hello_app.ts`).
 *
 * The app's `fetch` is passed to Deno.serve as it is (as `deno serve` does),
 * so a handler that declares no parameters keeps Deno's request-free path.
 *
 * @module
 */
const port = Number(Deno.args[0]);
const appUrl = Deno.args[1]
  ? new URL(Deno.args[1], `file://${Deno.cwd()}/`).href
  : new URL("./hello_app.ts", import.meta.url).href;
const app: { default: { fetch: Deno.ServeHandler } } = await import(appUrl);
Deno.serve(
  { hostname: "127.0.0.1", port, reusePort: true, onListen() {} },
  app.default.fetch.bind(app.default),
);
