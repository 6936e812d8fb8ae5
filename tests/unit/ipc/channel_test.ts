/**
 * Tests of where the control socket is made: a master's own directory under `herd-<uid>`,
 * which must be this user's own (in a shared /tmp, anyone could have made it first).
 *
 * @module
 */
import { assertEquals, assertRejects } from "../../assert.ts";
import { listenControl, tryListenControl } from "../../../src/ipc/channel.ts";
import { osErrorReason } from "../../../src/error_text.ts";

Deno.test("listenControl makes herd-<uid> 0711 and the master's own directory 0700", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { listener } = await listenControl(`${root}/herd-x/key/control.sock`, {
      privateDirectory: true,
    });
    assertEquals((await Deno.stat(`${root}/herd-x`)).mode! & 0o777, 0o711);
    assertEquals((await Deno.stat(`${root}/herd-x/key`)).mode! & 0o777, 0o700);
    assertEquals((await Deno.stat(`${root}/herd-x/key/control.sock`)).mode! & 0o777, 0o600);
    listener.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listenControl refuses a herd-<uid> that is a symlink or someone else's", async () => {
  const root = await Deno.makeTempDir();
  try {
    // Planted by another user: a link to a directory of theirs (or to /etc).
    await Deno.mkdir(`${root}/elsewhere`, { mode: 0o755 });
    await Deno.symlink(`${root}/elsewhere`, `${root}/herd-x`);
    for (const open of [listenControl, tryListenControl]) {
      await assertRejects(
        () => open(`${root}/herd-x/key/control.sock`, { privateDirectory: true }),
        Deno.errors.PermissionDenied,
        "is not a directory of this user's own (a symbolic link)",
      );
    }
    assertEquals((await Deno.stat(`${root}/elsewhere`)).mode! & 0o777, 0o755, "left as it was");
    if (Deno.uid() === 0) {
      await Deno.mkdir(`${root}/herd-y`);
      await Deno.chown(`${root}/herd-y`, 65534, 65534);
      for (const open of [listenControl, tryListenControl]) {
        await assertRejects(
          () => open(`${root}/herd-y/key/control.sock`, { privateDirectory: true }),
          Deno.errors.PermissionDenied,
          "owned by uid 65534",
        );
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("tryListenControl makes, changes and leaves nothing, and throws what listenControl would", async () => {
  const root = await Deno.makeTempDir();
  try {
    await tryListenControl(`${root}/herd-x/key/control.sock`, { privateDirectory: true });
    await tryListenControl(`${root}/run/control.sock`);
    await Deno.mkdir(`${root}/shared`, { mode: 0o755 });
    await tryListenControl(`${root}/shared/control.sock`, { group: 65534 });
    assertEquals((await Deno.stat(`${root}/shared`)).mode! & 0o777, 0o755, "left as it was");
    assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["shared"]);
    assertEquals([...Deno.readDirSync(`${root}/shared`)], []);
    // A configured socket's own directory is made, not a path of them.
    await assertRejects(
      () => tryListenControl(`${root}/missing/run/control.sock`),
      Deno.errors.NotFound,
      `no directory "${root}/missing" to make "${root}/missing/run" in`,
    );
    // A file where a directory goes: the same error, the same reason.
    await Deno.writeTextFile(`${root}/file`, "");
    const outcome = (opening: Promise<unknown>) =>
      opening.then(() => "opened", (e) => `${e.constructor.name}: ${osErrorReason(e)}`);
    for (
      const [path, privateDirectory, said] of [
        [`${root}/file/control.sock`, false, "NotADirectory: Not a directory"],
        [`${root}/file/key/control.sock`, true, "AlreadyExists: File exists"],
        [`${root}/file/x/key/control.sock`, true, "NotADirectory: Not a directory"],
      ] as const
    ) {
      assertEquals(await outcome(tryListenControl(path, { privateDirectory })), said, path);
      assertEquals(await outcome(listenControl(path, { privateDirectory })), said, path);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
