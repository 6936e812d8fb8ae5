/**
 * Unit tests of the guard's list of admitted requests.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { InFlight, InFlightList } from "../../../src/worker/in_flight.ts";

function entries(n: number): InFlight[] {
  return Array.from({ length: n }, () => new InFlight(null, null));
}

Deno.test("InFlightList: oldest first; removal from the front, middle and back", () => {
  const list = new InFlightList();
  const [a, b, c, d] = entries(4);
  for (const entry of [a, b, c, d]) list.add(entry);
  assertEquals([...list], [a, b, c, d]);
  assertEquals(list.delete(b), true);
  assertEquals([...list], [a, c, d]);
  assertEquals(list.delete(a), true);
  assertEquals(list.oldest, c);
  assertEquals(list.delete(d), true);
  assertEquals([...list], [c]);
  list.add(a);
  assertEquals([...list], [c, a]);
  assertEquals(list.size, 2);
});

Deno.test("InFlightList: deleting twice, or an entry never added, changes nothing", () => {
  const list = new InFlightList();
  const [a, b, stranger] = entries(3);
  list.add(a);
  list.add(b);
  list.add(a); // already held: stays the oldest
  assertEquals([list.has(a), list.has(b), list.has(stranger)], [true, true, false]);
  assertEquals(list.delete(stranger), false);
  assertEquals(list.delete(a), true);
  assertEquals(list.has(a), false);
  assertEquals(list.delete(a), false);
  assertEquals([...list], [b]);
  assertEquals(list.size, 1);
  list.delete(b);
  assertEquals([list.size, list.oldest, [...list]], [0, null, []]);
});

Deno.test("InFlightList: deleting each entry as it is yielded visits them all", () => {
  const list = new InFlightList();
  const all = entries(5);
  for (const entry of all) list.add(entry);
  const seen: InFlight[] = [];
  for (const entry of list) {
    seen.push(entry);
    list.delete(entry);
  }
  assertEquals(seen, all);
  assertEquals(list.size, 0);
});
