import { assertEquals } from "../../assert.ts";
import {
  countCrash,
  crashDelayMs,
  isBootFailure,
  replacementDelayMs,
  spawnShortage,
} from "../../../src/master/crash_backoff.ts";

Deno.test("crashDelayMs is immediate once, then doubles from 100 ms to a 30 s cap", () => {
  const table: [number, number][] = [[1, 0], [2, 100], [3, 200], [4, 400], [10, 25_600], [
    11,
    30_000,
  ], [
    500,
    30_000,
  ]];
  for (const [crashes, delay] of table) assertEquals(crashDelayMs(crashes), delay, `${crashes}`);
});

Deno.test("replacementDelayMs: with nothing else serving, a worker that served is replaced within 1 s of its ready", () => {
  const table: [number, number | null, boolean, number][] = [
    [7, 1_500, true, 3_200],
    [7, 1_500, false, 0],
    [7, 1_000, false, 0],
    [7, 300, false, 700],
    [2, 300, false, 100],
    [7, null, false, 3_200],
    [1, 0, false, 0],
  ];
  for (const [crashes, upMs, othersServing, delay] of table) {
    assertEquals(
      replacementDelayMs(crashes, { upMs, othersServing }),
      delay,
      `${crashes} crashes, up ${upMs} ms, others serving: ${othersServing}`,
    );
  }
});

Deno.test("countCrash starts again after a worker stayed up", () => {
  assertEquals(countCrash(0, { upMs: 0 }), 1);
  assertEquals(countCrash(3, { upMs: 9_999 }), 4);
  assertEquals(countCrash(3, { upMs: 10_000 }), 1);
});

Deno.test("isBootFailure: a second outside stop while booting, none booted, is one", () => {
  const term = { code: 143, signal: "SIGTERM" };
  assertEquals(isBootFailure(term, { ready: false, stoppedBefore: false }), false);
  assertEquals(isBootFailure(term, { ready: false, stoppedBefore: true }), true);
  assertEquals(isBootFailure(term, { ready: true, stoppedBefore: true }), false);
});

Deno.test("isBootFailure: never ready, or an app-load or bind exit code", () => {
  const table: [number, string | null, boolean, boolean][] = [
    [1, null, false, true],
    [4, null, true, true],
    [5, null, true, true],
    [1, null, true, false],
    [137, "SIGKILL", true, false],
    [0, null, true, false],
    [143, "SIGTERM", false, false],
    [130, "SIGINT", false, false],
    [137, "SIGKILL", false, true],
  ];
  for (const [code, signal, ready, expected] of table) {
    assertEquals(
      isBootFailure({ code, signal }, { ready }),
      expected,
      `${code} ${signal} ${ready}`,
    );
  }
});

Deno.test("spawnShortage: who lacked what (the master descriptors, processes, memory; the system descriptors), else null", () => {
  const table: [unknown, ReturnType<typeof spawnShortage>][] = [
    [
      Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" }),
      "the master is out of file descriptors",
    ],
    [
      new Error("Failed to spawn '/usr/bin/deno': Too many open files (os error 24)"),
      "the master is out of file descriptors",
    ],
    // ENFILE: the kernel's file table is full, whatever the master's own limit.
    [
      new Error("Failed to spawn 'deno': Too many open files in system (os error 23)"),
      "the system is out of file descriptors",
    ],
    [
      Object.assign(new Error("Too many open files in system"), { code: "ENFILE" }),
      "the system is out of file descriptors",
    ],
    [
      new Error("Failed to spawn: Resource temporarily unavailable (os error 11)"),
      "a process limit is reached (ulimit -u, a container's pids.max)",
    ],
    [
      new Error("Failed to spawn 'deno': Cannot allocate memory (os error 12)"),
      "there is no memory for a new process",
    ],
    [new Error("Failed to spawn '/root/deno': Permission denied (os error 13)"), null],
    [new Error("pre_fork hook failed"), null],
    ["a thrown string", null],
  ];
  for (const [error, shortage] of table) {
    assertEquals(spawnShortage(error), shortage, String(error));
  }
});
