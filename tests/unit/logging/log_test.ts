/**
 * Tests for `src/logging/log.ts`, the record router: levels, the sink a
 * record reaches, a sink that throws, and records logged before any sink
 * was set (in a child process, whose routing is fresh).
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import { getLog, routeLogs } from "../../../src/logging/log.ts";
import { captureLogs } from "../../log_records.ts";

Deno.test("records at log_level and above reach the sink, with category and properties", () => {
  using logs = captureLogs("warning");
  const { records } = logs;
  const log = getLog("test");
  const error = new Error("boom");
  log.debug("hidden");
  log.info("hidden too");
  log.warning("kept");
  log.error("failed", { error });
  log.critical("gone");
  assertEquals(records.map((r) => [r.level, r.message]), [
    ["warning", "kept"],
    ["error", "failed"],
    ["critical", "gone"],
  ]);
  assertEquals(records[0].category, ["herd", "test"]);
  assertEquals(records[1].properties, { error });
  assert(Math.abs(records[0].timestamp - Date.now()) < 5_000);
});

Deno.test("a sink that throws does not reach the code that logged", () => {
  const previous = routeLogs(() => {
    throw new Error("disk on fire");
  }, "debug");
  try {
    getLog("test").info("still fine"); // the router reports on stderr instead
  } finally {
    routeLogs(previous.sink, previous.level);
  }
});

Deno.test("before any configuration, info and above go to stderr", async () => {
  const log = new URL("../../../src/logging/log.ts", import.meta.url).href;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { getLog } from ${JSON.stringify(log)};` +
      `const l = getLog("early"); l.debug("not shown"); l.info("hello"); l.error("bad");`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0);
  assertMatch(stderr, /^\[INFO\] hello\n\[ERROR\] bad\n$/);
});

Deno.test("routeLogs() hands back the route it replaced, level included", () => {
  using outer = captureLogs("error");
  {
    using inner = captureLogs("debug");
    getLog("test").info("inner");
    assertEquals(inner.records.length, 1);
  }
  // Back to the outer capture and its level: info is filtered again.
  getLog("test").info("filtered");
  getLog("test").error("kept");
  assertEquals(outer.records.map((r) => r.message), ["kept"]);
});
