/**
 * Unit tests of running hooks: a failing hook is logged once, by name, and
 * never thrown into its caller.
 *
 * @module
 */
import { assertEquals } from "../assert.ts";
import { hookFailureLogger, runHook } from "../../src/hooks.ts";
import { getLog, type LogRecord } from "../../src/logging/log.ts";
import { captureLogs } from "../log_records.ts";

async function recordsOf(run: () => Promise<void>): Promise<LogRecord[]> {
  using logs = captureLogs();
  await run();
  return logs.records;
}

Deno.test("hookFailureLogger: one error record naming the hook, with the error attached", async () => {
  const boom = new Error("boom");
  const records = await recordsOf(() =>
    runHook(
      "when_ready",
      () => {
        throw boom;
      },
      [{} as never],
      hookFailureLogger(getLog("master")),
    )
  );
  assertEquals(records.length, 1);
  assertEquals(records[0].level, "error");
  assertEquals(records[0].message, 'Hook "when_ready" failed: boom');
  assertEquals(records[0].properties, { error: boom });
});

Deno.test("hookFailureLogger: a rejected promise and a thrown non-Error are reported too", async () => {
  const records = await recordsOf(async () => {
    const log = hookFailureLogger(getLog("worker"));
    await runHook("post_worker_init", () => Promise.reject(new TypeError("late")), [
      {} as never,
    ], log);
    await runHook(
      "post_worker_init",
      () => {
        throw 42;
      },
      [{} as never],
      log,
    );
  });
  assertEquals(records.map((r) => r.message), [
    'Hook "post_worker_init" failed: late',
    'Hook "post_worker_init" failed: 42',
  ]);
  assertEquals(records[1].properties, {});
});
