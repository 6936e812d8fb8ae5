import process from "node:process";
import { assert, assertEquals } from "../../assert.ts";
import {
  catchStrayErrors,
  refuseExit,
  refuseExitUntilDisposed,
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
  assertEquals([Deno.exit, process.exit], [denoExit, nodeExit], "restored");
});

Deno.test("refuseExitUntilDisposed(): overlapping refusals give the exits back with the last, and say the latest's message", () => {
  const [denoExit, nodeExit] = [Deno.exit, process.exit];
  const said = (exit: () => void) => {
    try {
      exit();
    } catch (error) {
      return (error as Error).message;
    }
  };
  const a = refuseExitUntilDisposed((call) => `a: ${call}`);
  const b = refuseExitUntilDisposed((call) => `b: ${call}`);
  assertEquals(said(() => process.exit(1)), "b: process.exit(1)");
  // Out of order: a's end puts nothing back while b holds.
  a[Symbol.dispose]();
  assertEquals(said(() => Deno.exit()), "b: Deno.exit()");
  a[Symbol.dispose]();
  assertEquals(said(() => Deno.exit(2)), "b: Deno.exit(2)", "disposing twice counts once");
  b[Symbol.dispose]();
  assertEquals([Deno.exit, process.exit], [denoExit, nodeExit], "restored");
});

Deno.test("exitProcess() ends the process with its code while a refusal is in force", async () => {
  const guard = new URL("../../../src/platform/guard_user_code.ts", import.meta.url).href;
  const program = `import { exitProcess, refuseExitUntilDisposed } from ${JSON.stringify(guard)};
    refuseExitUntilDisposed(() => "refused");
    try { Deno.exit(9); } catch { exitProcess(7); }`;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", program],
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(code, 7);
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
