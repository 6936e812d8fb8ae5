/**
 * Tests of the pidfile's dry run (`check`): it writes nothing, and refuses what the real
 * write refuses, in the same words.
 *
 * @module
 */
import { assertEquals, assertRejects } from "../../assert.ts";
import { writePidfile } from "../../../src/master/pidfile.ts";

Deno.test("writePidfile's dry run writes nothing and refuses what the write refuses", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writePidfile(`${dir}/new.pid`, 4242, { dryRun: true });
    await Deno.writeTextFile(`${dir}/old.pid`, "4194303\n");
    await writePidfile(`${dir}/old.pid`, 4242, { dryRun: true });
    assertEquals(await Deno.readTextFile(`${dir}/old.pid`), "4194303\n", "not truncated");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["old.pid"]);
    // This test runs on deno: to the pidfile, its own pid may be a running master's.
    await Deno.writeTextFile(`${dir}/held.pid`, `${Deno.pid}\n`);
    for (const dryRun of [true, false]) {
      await assertRejects(
        () => writePidfile(`${dir}/missing/herd.pid`, 4242, { dryRun }),
        Deno.errors.NotFound,
        `no directory "${dir}/missing"`,
      );
      await assertRejects(() => writePidfile(dir, 4242, { dryRun }), Deno.errors.IsADirectory);
      await assertRejects(
        () => writePidfile(`${dir}/held.pid`, 4242, { dryRun }),
        Deno.errors.AlreadyExists,
        `it names process ${Deno.pid}, which is running`,
      );
    }
    assertEquals(await Deno.readTextFile(`${dir}/held.pid`), `${Deno.pid}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
