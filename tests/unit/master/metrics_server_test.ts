/**
 * The metrics endpoint after its server stopped (out of file descriptors):
 * run in a child whose open-files limit `prlimit` lowers, as only a real
 * `EMFILE` stops Deno's server.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { freePort } from "../../../src/master/listener_check.ts";
import { evalWithFileLimit, HAVE_PRLIMIT } from "../../file_limit.ts";

Deno.test({
  name: "metrics endpoint: a USR2 successor's relisten to a port another program took is said",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    const src = (path: string) => new URL(`../../../src/${path}`, import.meta.url).href;
    const port = freePort("127.0.0.1");
    // Floods its own endpoint until the server stops, takes the port as another program would,
    // frees the connections, then lets it go after two seconds of relistens.
    const script = `
      import { MetricsEndpoint } from "${src("master/metrics_server.ts")}";
      import { emptyStats } from "${src("metrics/prometheus.ts")}";
      import { routeLogs } from "${src("logging/log.ts")}";
      const said = [];
      routeLogs((record) => said.push(record.level + " " + record.message), "info");
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const address = { hostname: "127.0.0.1", port: ${port} };
      const endpoint = MetricsEndpoint.open({
        bind: "127.0.0.1:${port}",
        snapshot: () => ({ workers: [], retired: emptyStats(), restarts: {} }),
        waitForPort: true,
      });
      const held = [];
      for (let i = 0; i < 200; i++) {
        try { held.push(await Deno.connect(address)); } catch { break; }
      }
      for (let i = 0; i < 100 && !said.some((s) => s.includes("stopped accepting")); i++) {
        await sleep(20);
      }
      held.pop()?.close();
      let taken = null;
      for (let i = 0; i < 40 && taken === null; i++) {
        try { taken = Deno.listen(address); } catch { await sleep(25); }
      }
      for (const conn of held.splice(0)) conn.close();
      await sleep(2500);
      taken?.close();
      for (let i = 0; i < 100 && !said.some((s) => s.includes("listening again at")); i++) {
        await sleep(20);
      }
      const scraped = (await (await fetch("http://127.0.0.1:${port}/metrics")).text()).length > 0;
      await endpoint.close();
      console.log(JSON.stringify({ taken: taken !== null, scraped, said }));
    `;
    const { taken, scraped, said } = await evalWithFileLimit(64, script) as {
      taken: boolean;
      scraped: boolean;
      said: string[];
    };
    assertEquals([taken, scraped], [true, true]);
    const lines = said.map((line) => line.replace(/\(Error: .*\)/, "(…)"));
    assertEquals(lines, [
      "error Metrics endpoint stopped accepting connections (…); listening again in 1000 ms",
      `error Address 127.0.0.1:${port} is already in use; trying again every 1000 ms`,
      `info Metrics endpoint listening again at http://127.0.0.1:${port}/metrics`,
    ]);
  },
});
