/**
 * Tests of where the control socket is made: a master's own directory under `herd-<uid>`,
 * which must be this user's own (in a shared /tmp, anyone could have made it first).
 *
 * @module
 */
import { assertEquals, assertRejects } from "../../assert.ts";
import { listenControl } from "../../../src/ipc/channel.ts";

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
    await assertRejects(
      () => listenControl(`${root}/herd-x/key/control.sock`, { privateDirectory: true }),
      Deno.errors.PermissionDenied,
      "is not a directory of this user's own (a symbolic link)",
    );
    assertEquals((await Deno.stat(`${root}/elsewhere`)).mode! & 0o777, 0o755, "left as it was");
    if (Deno.uid() === 0) {
      await Deno.mkdir(`${root}/herd-y`);
      await Deno.chown(`${root}/herd-y`, 65534, 65534);
      await assertRejects(
        () => listenControl(`${root}/herd-y/key/control.sock`, { privateDirectory: true }),
        Deno.errors.PermissionDenied,
        "owned by uid 65534",
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
