/**
 * Per-request cost of the access log: `deno bench -A tests/unit/logging/access_log_bench.ts`.
 *
 * Each iteration formats one request and appends it to the buffered writer
 * (a real temp file, one `writeSync` per 64 KiB), which is what a worker
 * pays per request. Named `_bench.ts` so `deno test` does not run it.
 *
 * @module
 */
import { openAccessLog } from "../../../src/logging/access_log.ts";
import { COMBINED_FORMAT } from "../../../src/settings/sections/logging.ts";

const dir = await Deno.makeTempDir({ prefix: "herd_access_bench_" });
const req = new Request("http://127.0.0.1:8000/items/42?color=red", {
  headers: { "user-agent": "bench/1.0", referer: "http://example.com/" },
});
const res = new Response("hello", { headers: { "content-length": "5" } });
const info: Deno.ServeHandlerInfo = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
  completed: Promise.resolve(),
};

for (const format of [COMBINED_FORMAT, "json"]) {
  const access = openAccessLog({
    access_log: `${dir}/${format === "json" ? "json" : "combined"}.log`,
    access_log_format: format,
    forwarded_allow_ips: ["127.0.0.1"],
  })!;
  Deno.bench(`access log write (${format === "json" ? "json" : "combined"})`, () => {
    access.write(req, info, res, Date.now(), 0.42);
  });
}

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
