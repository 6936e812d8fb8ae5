/**
 * Tests for `workerHooksOf()`: which worker-side hooks a worker runs, with
 * the profile's values over the top level.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { workerHooksOf } from "../../../src/worker/worker_hooks.ts";

Deno.test("workerHooksOf() takes the profile's hooks, and a profile's null switches one off", () => {
  const top = () => {};
  const dev = () => {};
  const config = {
    pre_request: top,
    post_request: top,
    profiles: { development: { pre_request: null, post_request: dev } },
  };
  const hooks = workerHooksOf(config, "development");
  assertEquals(hooks.pre_request, null, "switched off, as the master reads it");
  assertEquals(hooks.post_request, dev);
  assertEquals(workerHooksOf(config, "production").pre_request, top);
});
