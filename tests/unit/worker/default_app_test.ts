/**
 * Tests of the embedded default app's routes.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { createDefaultApp } from "../../../src/worker/default_app.ts";
import { VERSION } from "../../../src/version.ts";
import { serveGuarded } from "./_http.ts";

Deno.test("the default app serves its page, health and readiness", async () => {
  let draining = false;
  await using s = serveGuarded(createDefaultApp({ workerId: 7, isDraining: () => draining }));
  const page = await fetch(`${s.url}/`);
  assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await page.text();
  assert(html.includes("Herd is running") && html.includes(VERSION) && html.includes("worker 7"));
  assert(!/(src|href)="http/.test(html), "no external assets");
  const health = await fetch(`${s.url}/healthz`);
  assertEquals([health.status, await health.json()], [200, { status: "ok" }]);
  const ready = await fetch(`${s.url}/readyz`);
  assertEquals(ready.status, 200);
  await ready.body?.cancel();
  draining = true;
  const notReady = await fetch(`${s.url}/readyz`);
  assertEquals(notReady.status, 503);
  await notReady.body?.cancel();
  const missing = await fetch(`${s.url}/nope`);
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});
