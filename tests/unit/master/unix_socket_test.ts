import { assertEquals } from "../../assert.ts";
import { clearStaleSocket, releaseSocket, socketVerdict } from "../../../src/master/unix_socket.ts";

Deno.test("socketVerdict: absent is free, a silent socket stale, an answering one in use", () => {
  assertEquals(socketVerdict({ exists: false, isSocket: false, answers: false }), "free");
  assertEquals(socketVerdict({ exists: true, isSocket: false, answers: false }), "not_a_socket");
  assertEquals(socketVerdict({ exists: true, isSocket: true, answers: false }), "stale");
  assertEquals(socketVerdict({ exists: true, isSocket: true, answers: true }), "in_use");
});

Deno.test("clearStaleSocket and releaseSocket leave a live socket and a plain file alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-unix-unit-" });
  const live = Deno.listen({ transport: "unix", path: `${dir}/live.sock` });
  await Deno.writeTextFile(`${dir}/file`, "not a socket");
  try {
    assertEquals(await clearStaleSocket(`${dir}/live.sock`), "in_use");
    assertEquals(await releaseSocket(`${dir}/live.sock`), false);
    assertEquals(await clearStaleSocket(`${dir}/file`), "not_a_socket");
    assertEquals(await releaseSocket(`${dir}/file`), false);
    assertEquals(await clearStaleSocket(`${dir}/none.sock`), "free");
  } finally {
    live.close();
    await Deno.remove(dir, { recursive: true });
  }
});
