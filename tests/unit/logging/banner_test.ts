/**
 * Tests for `src/logging/banner.ts`.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { type BannerInfo, formatBanner } from "../../../src/logging/banner.ts";

const PRODUCTION: BannerInfo = {
  version: "0.1.0",
  pid: 123,
  addresses: ["0.0.0.0:8080"],
  workers: 4,
  workerClass: "async",
  env: "production",
  accessLog: "logs/access.log",
  errorLog: "logs/error.log",
  configPath: "/app/config.ts",
  app: "app.ts",
  logFormat: "text",
};

Deno.test("the production banner, plain", () => {
  assertEquals(formatBanner(PRODUCTION), [
    "Herd 0.1.0 (pid 123) — production",
    "Listening at: http://0.0.0.0:8080",
    "Workers: 4 (async)",
    "Access log: logs/access.log · Error log: logs/error.log",
    "Config: /app/config.ts",
    "App: app.ts",
  ]);
});

Deno.test("streams, no access log, no config, json and several addresses", () => {
  const lines = formatBanner({
    ...PRODUCTION,
    addresses: ["127.0.0.1:8000", "http://[::1]:8000"],
    accessLog: null,
    errorLog: "-",
    configPath: null,
    logFormat: "json",
  });
  assertEquals(lines[1], "Listening at: http://127.0.0.1:8000, http://[::1]:8000");
  assertEquals(lines[3], "Access log: off · Error log: stderr (json)");
  assertEquals(lines[4], "Config: none (defaults, environment and flags)");
  assertEquals(
    formatBanner({ ...PRODUCTION, app: null })[5],
    "App: Herd's default app (give one: serve app.ts)",
  );
  assertEquals(
    formatBanner({ ...PRODUCTION, accessLog: "-" })[3].startsWith("Access log: stdout"),
    true,
  );
});

Deno.test("colour only when asked, and the text is the same without the escapes", () => {
  assert(!formatBanner(PRODUCTION).join("").includes("\x1b"));
  const colored = formatBanner(PRODUCTION, { color: true });
  assert(colored[0].includes("\x1b[1m"));
  // deno-lint-ignore no-control-regex -- stripping ANSI escapes
  assertEquals(colored.map((l) => l.replace(/\x1b\[[\d;]*m/g, "")), formatBanner(PRODUCTION));
});
