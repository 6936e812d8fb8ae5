/**
 * Telling that the process is out of file descriptors: from an error, and by
 * trying (in a child whose limit `prlimit` lowers: this test's own could not
 * be raised back).
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import {
  descriptorShortageOf,
  isOutOfFileDescriptors,
  whoLacksDescriptors,
} from "../../../src/platform/file_descriptors.ts";
import { evalWithFileLimit, HAVE_PRLIMIT } from "../../file_limit.ts";

Deno.test("isOutOfFileDescriptors: EMFILE and ENFILE, by code or by Deno's message", () => {
  const coded = (code: string) => Object.assign(new Error("x"), { code });
  assertEquals(isOutOfFileDescriptors(coded("EMFILE")), true);
  assertEquals(isOutOfFileDescriptors(coded("ENFILE")), true);
  assertEquals(isOutOfFileDescriptors(coded("EACCES")), false);
  const spawn = "Failed to spawn '/usr/bin/deno': Too many open files (os error 24)";
  assertEquals(isOutOfFileDescriptors(new Error(spawn)), true);
  assertEquals(
    isOutOfFileDescriptors(new Error("Too many open files in system (os error 23)")),
    true,
  );
  assertEquals(isOutOfFileDescriptors(new Error("Permission denied (os error 13)")), false);
  assertEquals(isOutOfFileDescriptors("Too many open files"), false);
  assertEquals(isOutOfFileDescriptors(null), false);
});

Deno.test("descriptorShortageOf: ENFILE is the system's shortage, EMFILE the process's, in words", () => {
  const system = descriptorShortageOf(
    new Error("Too many open files in system (os error 23): open '/dev/null'"),
  );
  assertEquals(system, { scope: "system", reason: "Too many open files in system" });
  const coded = descriptorShortageOf(Object.assign(new Error("x"), { code: "ENFILE" }));
  assertEquals(coded?.scope, "system");
  const mine = descriptorShortageOf(
    new Error("Too many open files (os error 24): open '/dev/null'"),
  );
  assertEquals(mine, { scope: "process", reason: "Too many open files" });
  assertEquals(descriptorShortageOf(new Error("Permission denied (os error 13)")), null);
  // Raising the master's own limit would not help the system's: it is not said to be the master's.
  assertEquals(whoLacksDescriptors(system!, "the master"), "the system is out of file descriptors");
  assertEquals(
    whoLacksDescriptors(system!, "the master", 8),
    "the system is out of file descriptors",
  );
  assertEquals(whoLacksDescriptors(mine!, "the master"), "the master is out of file descriptors");
  assertEquals(
    whoLacksDescriptors(mine!, "the master", 8),
    "the master has fewer than 8 file descriptors free",
  );
});

Deno.test({
  name: "fileDescriptorShortage: the OS's reason while fewer than asked are free, else null",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    const module = new URL("../../../src/platform/file_descriptors.ts", import.meta.url).href;
    // Fills the table, then frees descriptors one by one: the answer changes once 8 are free.
    const script = `
      import { fileDescriptorShortage } from "${module}";
      const held = [];
      try { for (;;) held.push(Deno.openSync("/dev/null")); } catch { /* full */ }
      const answers = [fileDescriptorShortage(8)];
      for (let i = 0; i < 7; i++) held.pop().close();
      answers.push(fileDescriptorShortage(8));
      held.pop().close();
      answers.push(fileDescriptorShortage(8));
      for (const file of held) file.close();
      console.log(JSON.stringify(answers));
    `;
    const mine = { scope: "process", reason: "Too many open files" };
    assertEquals(await evalWithFileLimit(128, script), [mine, mine, null]);
  },
});
