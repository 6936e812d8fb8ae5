import { assert, assertEquals } from "../../assert.ts";
import { EventQueue, systemClock } from "../../../src/master/events.ts";

Deno.test("EventQueue.stopSignal stays aborted until the loop has taken every stop queued", async () => {
  const queue = new EventQueue(systemClock);
  const first = queue.stopSignal;
  queue.push({ kind: "signal", signal: "SIGHUP" });
  assert(!first.aborted, "HUP is no stop");
  queue.push({ kind: "signal", signal: "SIGTERM" });
  queue.push({ kind: "signal", signal: "SIGINT" });
  // Every wait started before the loop reaches the stops sees them (a hook's, a spawn's).
  assert(first.aborted && queue.stopSignal.aborted);
  assertEquals((await queue.next(0))?.kind, "signal"); // HUP
  assertEquals((await queue.next(0)) as unknown, { kind: "signal", signal: "SIGTERM" });
  assert(queue.stopSignal.aborted, "INT still queued");
  await queue.next(0); // INT
  assert(!queue.stopSignal.aborted, "all taken: a fresh signal waits for the next stop");
  queue.push({ kind: "signal", signal: "SIGQUIT" });
  assert(queue.stopSignal.aborted);
});
