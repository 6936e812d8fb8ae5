/**
 * Tests of the wait for an address in use: how often it looks, what it
 * says, and that a stop signal ends it without another look.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { BUSY_ADDRESS_RETRY, whileInUse } from "../../../src/master/listener_check.ts";
import { sleep } from "../../../src/platform/timer.ts";

const busy = "Address 127.0.0.1:8000 is already in use";

Deno.test("whileInUse() stops looking once nothing is in use, and says each wait", async () => {
  let looks = 0;
  const said: string[] = [];
  const result = await whileInUse(
    () => Promise.resolve({ result: ++looks, inUse: looks < 2 ? busy : null }),
    { onRetry: (line) => said.push(line) },
  );
  assertEquals([result, looks], [2, 2]);
  assertEquals(said, [
    `${busy}; checking again in ${
      BUSY_ADDRESS_RETRY.delayMs / 1000
    } s (1 of ${BUSY_ADDRESS_RETRY.tries})`,
  ]);
});

Deno.test("whileInUse() ends its wait when the signal aborts, and looks no more", async () => {
  const stop = new AbortController();
  let looks = 0;
  const waited = whileInUse(() => {
    looks++;
    // Stopped during the first wait (a SIGTERM while the master waits for its port).
    setTimeout(() => stop.abort(), 10);
    return Promise.resolve({ result: "refused", inUse: busy });
  }, { signal: stop.signal });
  // Not at the end of the 1 s wait: long before it.
  const marker = new AbortController();
  const first = await Promise.race([waited, sleep(900, marker.signal).then(() => "late")]);
  marker.abort();
  assertEquals([first, looks], ["refused", 1]);
});
