/**
 * `platform/timer.ts`: the timers a worker uses instead of `setTimeout`.
 * What they save is memory, reported by `deno task bench`; here, that they
 * keep time and stop when told.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { after, every, sleep, TIMED_OUT, within } from "../../../src/platform/timer.ts";

Deno.test("after() calls back once, no sooner than asked", async () => {
  const started = performance.now();
  const fired: number[] = [];
  after(30, () => fired.push(performance.now() - started));
  await sleep(120);
  assertEquals(fired.length, 1);
  // Timers round to whole milliseconds.
  assert(fired[0] >= 29, `fired after ${fired[0]} ms`);
});

Deno.test("a cancelled after() never calls back", async () => {
  let calls = 0;
  const timer = after(20, () => calls++);
  timer.cancel();
  timer.cancel();
  await sleep(80);
  assertEquals(calls, 0);
});

Deno.test("after() waits out a delay past the runtime's 2^31 - 1 ms limit", async () => {
  // AbortSignal.timeout(2 ** 31) alone fires at once.
  let calls = 0;
  const long = after(2 ** 31 + 5, () => calls++);
  const longer = after(1e12, () => calls++);
  await sleep(100);
  long.cancel();
  longer.cancel();
  assertEquals(calls, 0);
});

Deno.test("every() repeats until cancelled, also from its own callback", async () => {
  let outside = 0;
  const repeating = every(10, () => outside++);
  await sleep(100);
  repeating.cancel();
  const atCancel = outside;
  assert(atCancel >= 3, `ran ${atCancel} times in 100 ms`);

  let inside = 0;
  const selfStopping = every(10, () => {
    if (++inside === 2) selfStopping.cancel();
  });
  await sleep(100);
  assertEquals(outside, atCancel);
  assertEquals(inside, 2);
});

Deno.test("sleep(0) and negative or fractional delays resolve", async () => {
  await sleep(0);
  await sleep(-5);
  await sleep(1.6);
});

Deno.test("sleep() ends when its signal aborts, and leaves no timer pending", async () => {
  const stop = new AbortController();
  const slept = sleep(60_000, stop.signal);
  stop.abort();
  await slept; // The test's leak check fails on a timer left behind.
  await sleep(60_000, stop.signal); // Aborted already: at once.
});

Deno.test("within() gives the value, TIMED_OUT once the time is up, and passes a rejection on", async () => {
  assertEquals(await within(Promise.resolve(7), 1000), 7);
  assertEquals(await within(new Promise(() => {}), 10), TIMED_OUT);
  let caught: unknown = null;
  await within(Promise.reject(new Error("no")), 1000).catch((e) => caught = e);
  assertEquals((caught as Error).message, "no");
});
