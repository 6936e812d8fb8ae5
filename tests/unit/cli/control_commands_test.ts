/**
 * Unit tests of asking the master: a master that never answers (stopped, wedged) does not hold
 * `status` or `reopen-logs`, and logrotate behind it, for good.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { connectChannel } from "../../../src/ipc/channel.ts";
import { requestMaster } from "../../../src/cli/control_commands.ts";

Deno.test("requestMaster gives up on a master that does not answer, with one line", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/control.sock`;
  // Accepts and reads, as a stopped master's kernel does, and never answers.
  const listener = Deno.listen({ transport: "unix", path });
  const accepted = listener.accept();
  try {
    const answer = await requestMaster(await connectChannel(path), path, "status", 200);
    assertEquals(
      answer,
      `The master at ${path} did not answer within 0.2 s (stopped, stuck in a hook, or out of file descriptors?)`,
    );
  } finally {
    (await accepted).close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
