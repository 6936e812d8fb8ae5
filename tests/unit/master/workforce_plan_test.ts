import { assertEquals } from "../../assert.ts";
import { type PlannedWorker, planWorkforce } from "../../../src/master/workforce_plan.ts";

const w = (
  serial: number,
  id: number,
  state: PlannedWorker["state"],
  retire: PlannedWorker["retire"] = null,
) => ({
  serial,
  id,
  state,
  retire,
});

Deno.test("planWorkforce fills empty slots unless a backoff holds them", () => {
  const input = { target: 2, workers: [w(1, 1, "ready")], maxSurge: 1 };
  assertEquals(planWorkforce({ ...input, mayRefill: true }), [{ kind: "spawn", id: 2 }]);
  assertEquals(planWorkforce({ ...input, mayRefill: false }), []);
});

Deno.test("planWorkforce surges one retiring worker at a time", () => {
  const workers = [w(1, 1, "ready", "reload"), w(2, 2, "ready", "reload")];
  assertEquals(planWorkforce({ target: 2, workers, mayRefill: true, maxSurge: 1 }), [
    { kind: "spawn", id: 1 },
  ]);
  const surging = [...workers, w(3, 1, "booting")];
  assertEquals(planWorkforce({ target: 2, workers: surging, mayRefill: true, maxSurge: 1 }), []);
});

Deno.test("planWorkforce holds replacements during a crash backoff; the old worker serves on", () => {
  // A recycled worker whose successors fail to boot must not respawn them in a tight loop.
  const workers = [w(1, 1, "ready", "max_requests")];
  assertEquals(planWorkforce({ target: 1, workers, mayRefill: false, maxSurge: 1 }), []);
  assertEquals(planWorkforce({ target: 1, workers, mayRefill: true, maxSurge: 1 }), [
    { kind: "spawn", id: 1 },
  ]);
});

Deno.test("planWorkforce drains a retiring worker once its successor is ready", () => {
  const workers = [w(1, 1, "ready", "max_age"), w(3, 1, "ready")];
  assertEquals(planWorkforce({ target: 1, workers, mayRefill: false, maxSurge: 1 }), [
    { kind: "drain", serial: 1, reason: "max_age" },
  ]);
});

Deno.test("planWorkforce drains workers above the target", () => {
  const workers = [w(1, 1, "ready"), w(2, 2, "ready"), w(3, 3, "draining")];
  assertEquals(planWorkforce({ target: 1, workers, mayRefill: true, maxSurge: 1 }), [
    { kind: "drain", serial: 2, reason: "scale_down" },
  ]);
});

Deno.test("planWorkforce starts no replacement while a drain settles, but still refills", () => {
  const draining = w(3, 2, "draining", "max_requests");
  const workers = [w(1, 1, "ready", "max_requests"), w(4, 2, "ready"), draining];
  const input = { target: 2, workers, mayRefill: true, maxSurge: 1 };
  assertEquals(planWorkforce({ ...input, settling: true }), []);
  assertEquals(planWorkforce({ ...input, settling: false }), [{ kind: "spawn", id: 1 }]);
  const crashed = { ...input, workers: [w(4, 2, "ready"), draining], settling: true };
  assertEquals(planWorkforce(crashed), [{ kind: "spawn", id: 1 }]);
});

Deno.test("planWorkforce starts no replacement beside a drain it plans, but still refills", () => {
  // Slot 1's successor is ready: its predecessor drains now. Slot 2's replacement waits for the
  // next plan, once that drain has settled, or two listeners would linger at once.
  const workers = [w(1, 1, "ready", "reload"), w(3, 1, "ready"), w(2, 2, "ready", "reload")];
  const input = { target: 3, workers, mayRefill: true, maxSurge: 1 };
  assertEquals(planWorkforce(input), [
    { kind: "drain", serial: 1, reason: "reload" },
    { kind: "spawn", id: 3 },
  ]);
  const drained = [w(1, 1, "draining", "reload"), w(3, 1, "ready"), w(2, 2, "ready", "reload")];
  assertEquals(planWorkforce({ ...input, target: 2, workers: drained }), [
    { kind: "spawn", id: 2 },
  ]);
});

Deno.test("planWorkforce replaces the worker marked to retire first, whatever its slot", () => {
  // Under heavy load a fresh worker in slot 1 reaches max_requests again before slot 4's turn:
  // by slot order, slot 4 would wait for good.
  const workers = [
    { ...w(1, 1, "ready", "max_requests"), retireMark: 9 },
    { ...w(2, 2, "ready"), retireMark: 0 },
    { ...w(3, 3, "ready", "max_requests"), retireMark: 4 },
    { ...w(4, 4, "ready", "max_requests"), retireMark: 2 },
  ];
  assertEquals(planWorkforce({ target: 4, workers, mayRefill: true, maxSurge: 1 }), [
    { kind: "spawn", id: 4 },
  ]);
  // Unmarked slots keep their order (a start fills 1, 2, 3).
  assertEquals(planWorkforce({ target: 3, workers: [], mayRefill: true, maxSurge: 1 }), [
    { kind: "spawn", id: 1 },
    { kind: "spawn", id: 2 },
    { kind: "spawn", id: 3 },
  ]);
});
