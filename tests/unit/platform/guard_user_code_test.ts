import process from "node:process";
import { assert, assertEquals } from "../../assert.ts";
import {
  catchStrayErrors,
  refuseExit,
  refuseExitDuring,
} from "../../../src/platform/guard_user_code.ts";
import { unixPathTooLong } from "../../../src/master/unix_socket.ts";
import { prepareLogTarget, removeIfUnused } from "../../../src/logging/setup.ts";

Deno.test("catchStrayErrors() reports a stray rejection and a throwing timer; the process goes on", async () => {
  const seen: string[] = [];
  {
    using _strays = catchStrayErrors((message) => seen.push(message));
    Promise.reject(new Error("no handler"));
    setTimeout(() => {
      throw new Error("late throw");
    }, 0);
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals(seen, ["Unhandled promise rejection: no handler", "Uncaught error: late throw"]);
});

Deno.test("refuseExit() turns Deno.exit() and process.exit() into throws while loading, and restores them", async () => {
  const [denoExit, nodeExit] = [Deno.exit, process.exit];
  // npm code ends a process with Node's process.exit(): refused the same way.
  for (
    const [exit, said] of [[() => Deno.exit(3), "Deno.exit(3)"], [
      () => process.exit(1),
      "process.exit(1)",
    ]] as const
  ) {
    const message = await refuseExit("config.ts", () => {
      exit();
      return Promise.resolve("");
    }).catch((error) => error.message);
    assertEquals(
      message,
      `config.ts called ${said} while being loaded: it must not end the process`,
    );
  }
  let during = "";
  try {
    refuseExitDuring("a hook must not end the master", () => Deno.exit(0));
  } catch (error) {
    during = (error as Error).message;
  }
  assertEquals(during, "it called Deno.exit(0): a hook must not end the master");
  assertEquals([Deno.exit, process.exit], [denoExit, nodeExit], "restored");
});

Deno.test("unixPathTooLong() counts bytes, suffix included", () => {
  assertEquals(unixPathTooLong("/tmp/h.sock", ".new"), null);
  const most = Deno.build.os === "linux" ? 107 : 103;
  assertEquals(unixPathTooLong("/" + "x".repeat(most - 5), ".new"), null);
  assert(unixPathTooLong("/" + "x".repeat(most - 4), ".new")?.includes(`at most ${most}`));
  // Two bytes a character.
  assert(unixPathTooLong("/" + "é".repeat(60), "") !== null);
});

Deno.test("removeIfUnused() removes what prepareLogTarget made while empty, nothing else", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-made-" });
  try {
    const made: string[] = [];
    await prepareLogTarget(`${dir}/a/b/access.log`, { made });
    await prepareLogTarget(`${dir}/a/error.log`, { made });
    assertEquals(made, [`${dir}/a`, `${dir}/a/b`, `${dir}/a/b/access.log`, `${dir}/a/error.log`]);
    await Deno.writeTextFile(`${dir}/a/error.log`, "why it failed\n");
    await removeIfUnused(made);
    assertEquals([...Deno.readDirSync(`${dir}/a`)].map((e) => e.name), ["error.log"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
