/**
 * Tests of the dry run of a start's file-system changes: it fails where the real changes
 * fail, for the same reason, and makes nothing.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { DryRun, realChanges } from "../../../src/platform/dry_run.ts";
import { osErrorReason } from "../../../src/error_text.ts";

const outcome = (change: Promise<unknown>) =>
  change.then(() => "done", (e) => `${e.constructor.name}: ${osErrorReason(e)}`);

Deno.test("DryRun.mkdir fails where Deno.mkdir does, and makes nothing", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${root}/file`, "");
    await Deno.mkdir(`${root}/dir`);
    const cases: [string, boolean][] = [
      [`${root}/file`, true],
      [`${root}/file`, false],
      [`${root}/dir`, true],
      [`${root}/dir`, false],
      [`${root}/file/sub`, true],
      [`${root}/missing/sub`, false],
      [`${root}/missing/sub`, true],
    ];
    for (const [path, recursive] of cases) {
      const dry = await outcome(new DryRun().mkdir(path, { recursive }));
      assertEquals([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["dir", "file"]);
      const real = await outcome(realChanges.mkdir(path, { recursive, mode: 0o700 }));
      assertEquals(dry, real, `${path}, recursive: ${recursive}`);
      // What the real one made, for the next case.
      await Deno.remove(`${root}/missing`, { recursive: true }).catch(() => {});
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("DryRun remembers what it would have made: this user's, and room for a socket", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dry = new DryRun();
    await dry.mkdir(`${root}/a/b`, { recursive: true });
    assertEquals((await dry.lstat(`${root}/a`)).uid, Deno.uid());
    await dry.chmod(`${root}/a/b`);
    await dry.create(`${root}/a/b/control.sock`);
    assertEquals([...Deno.readDirSync(root)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
