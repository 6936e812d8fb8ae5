/**
 * The benchmark's minimal access-log app (`scripts/bench/minimal_access_log_app.ts`) must
 * write Herd's default line, byte for byte, or it would not be the ceiling of the same work.
 * Real requests over loopback, some with values that need escaping; both lines are made
 * from the same request and compared but for the time.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { compileAccessFormat } from "../../../src/logging/access_format.ts";
import { COMBINED_FORMAT } from "../../../src/settings/sections/logging.ts";

const CLF_TIME = /\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]/;

Deno.test({
  name: "the benchmark's minimal access-log app writes Herd's default line",
  // The app holds its log file open for the life of the process, as a server does.
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/access.log`;
    Deno.env.set("BENCH_ACCESS_LOG", path);
    const app: { default: { fetch: Deno.ServeHandler<Deno.NetAddr> } } = await import(
      "../../../scripts/bench/minimal_access_log_app.ts"
    );
    const herdLine = compileAccessFormat(COMBINED_FORMAT, {
      forwardedAllowIps: ["127.0.0.1", "::1"],
    });
    const expected: string[] = [];
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req, info) => {
        const res = await app.default.fetch(req, info);
        expected.push(herdLine({ req, info, res, startedAtMs: Date.now(), durationMs: 1 }));
        return res;
      },
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      const requests: [string, RequestInit][] = [
        ["/", {}],
        ["/a%22b?q=1&r=%5C", { method: "POST", body: "x" }],
        ["/", {
          headers: {
            "user-agent": 'agent "quoted" \\ back\tslash',
            referer: "http://example.test/caf\u00e9",
            authorization: `Basic ${btoa("alice:secret")}`,
            "x-forwarded-for": "203.0.113.9, 10.0.0.1",
          },
        }],
        ["/", { headers: { authorization: "Bearer token", "x-forwarded-for": " , 10.0.0.1" } }],
      ];
      for (const [path, init] of requests) await (await fetch(base + path, init)).text();
      let written: string[] = [];
      for (let i = 0; i < 50 && written.length < requests.length; i++) {
        await new Promise((r) => setTimeout(r, 50));
        written = (await Deno.readTextFile(path).catch(() => "")).split("\n").filter(Boolean);
      }
      const withoutTime = (line: string) => line.replace(CLF_TIME, "[time]");
      assertEquals(written.map(withoutTime), expected.map(withoutTime));
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
