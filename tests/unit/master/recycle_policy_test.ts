import { assertEquals } from "../../assert.ts";
import { drawLimits, heartbeatExpired, recycleReason } from "../../../src/master/recycle_policy.ts";

const OFF = { max_requests: 0, max_requests_jitter: 0, max_memory: 0, max_age: 0 };

Deno.test("drawLimits adds request jitter and up to 10 % age jitter", () => {
  assertEquals(drawLimits(OFF, () => 0.99), { maxRequests: 0, maxRssBytes: 0, maxAgeMs: 0 });
  assertEquals(
    drawLimits(
      { max_requests: 100, max_requests_jitter: 10, max_memory: 64, max_age: 60 },
      () => 0,
    ),
    { maxRequests: 100, maxRssBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 },
  );
  assertEquals(
    drawLimits(
      { max_requests: 100, max_requests_jitter: 10, max_memory: 0, max_age: 60 },
      () => 0.999,
    ),
    { maxRequests: 110, maxRssBytes: 0, maxAgeMs: 65_994 },
  );
});

Deno.test("recycleReason names the first limit reached", () => {
  const limits = { maxRequests: 100, maxRssBytes: 1000, maxAgeMs: 5000 };
  const table: [number, number, number, string | null][] = [
    [99, 1000, 4999, null],
    [100, 0, 0, "max_requests"],
    [0, 1001, 0, "max_memory"],
    [0, 0, 5000, "max_age"],
    [100, 1001, 5000, "max_requests"],
  ];
  for (const [served, rss, ageMs, reason] of table) {
    assertEquals(recycleReason(limits, { served, rss, ageMs }), reason);
  }
  assertEquals(
    recycleReason({ maxRequests: 0, maxRssBytes: 0, maxAgeMs: 0 }, {
      served: 1e9,
      rss: 1e12,
      ageMs: 1e9,
    }),
    null,
  );
});

Deno.test("heartbeatExpired after timeout seconds blocked, one heartbeat period allowed; 0 disables", () => {
  // The last heartbeat may have come up to 1 s (a period) before the worker blocked.
  assertEquals(heartbeatExpired({ silentMs: 31_001 }, 30), true);
  assertEquals(heartbeatExpired({ silentMs: 31_000 }, 30), false);
  assertEquals(heartbeatExpired({ silentMs: 30_500 }, 30), false);
  assertEquals(heartbeatExpired({ silentMs: 1e9 }, 0), false);
  // Never shorter than 2.5 heartbeats: with timeout 1, on-time heartbeats are 1 s apart.
  assertEquals(heartbeatExpired({ silentMs: 2_000 }, 1), false);
  assertEquals(heartbeatExpired({ silentMs: 2_501 }, 1), true);
});

Deno.test("recycleReason never recycles for memory a worker that started over the limit", () => {
  const limits = { maxRequests: 0, maxRssBytes: 30e6, maxAgeMs: 0 };
  // Its replacement would start over the limit too: recycling would never end.
  assertEquals(recycleReason(limits, { served: 0, rss: 40e6, ageMs: 500, firstRss: 40e6 }), null);
  assertEquals(
    recycleReason(limits, { served: 9, rss: 31e6, ageMs: 500, firstRss: 25e6 }),
    "max_memory",
  );
});
