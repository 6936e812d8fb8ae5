import { assertEquals } from "../../assert.ts";
import { fileURLToPath } from "node:url";
import {
  HERD_MAIN,
  selfCommand,
  UNSTABLE_FLAGS,
  WORKER_ENTRY,
  workerCommand,
} from "../../../src/master/self_command.ts";

Deno.test("selfCommand re-runs the main script with permissions in script mode", () => {
  const runtime = {
    standalone: false,
    execPath: "/usr/local/bin/deno",
    mainModule: "file:///srv/my%20app/main.ts",
  };
  assertEquals(selfCommand(runtime, ["__worker"]), {
    command: "/usr/local/bin/deno",
    args: ["run", "-A", ...UNSTABLE_FLAGS, "--no-prompt", "/srv/my app/main.ts", "__worker"],
  });
});

Deno.test("selfCommand takes permissions as data", () => {
  const runtime = {
    standalone: false,
    execPath: "/bin/deno",
    mainModule: "file:///m.ts",
    permissions: ["-P=worker"],
  };
  assertEquals(selfCommand(runtime, ["serve", "app.ts"]).args, [
    "run",
    "-P=worker",
    ...UNSTABLE_FLAGS,
    "--no-prompt",
    "/m.ts",
    "serve",
    "app.ts",
  ]);
});

Deno.test("selfCommand passes the app project's configuration flags after the permissions", () => {
  const runtime = {
    standalone: false,
    execPath: "/bin/deno",
    mainModule: "file:///m.ts",
    configFlags: ["--config", "/srv/site/deno.json"],
  };
  assertEquals(selfCommand(runtime, ["__worker"]).args, [
    "run",
    "-A",
    "--config",
    "/srv/site/deno.json",
    ...UNSTABLE_FLAGS,
    "--no-prompt",
    "/m.ts",
    "__worker",
  ]);
});

Deno.test("selfCommand runs the binary itself in compiled mode", () => {
  const runtime = { standalone: true, execPath: "/opt/herd", mainModule: "file:///x/main.ts" };
  assertEquals(selfCommand(runtime, ["__worker"]), { command: "/opt/herd", args: ["__worker"] });
});

Deno.test("workerCommand starts Herd's own workers from the worker's entry point", () => {
  const deno = { standalone: false, execPath: "/bin/deno", permissions: ["-A"] };
  assertEquals(workerCommand({ ...deno, mainModule: HERD_MAIN }).args, [
    "run",
    "-A",
    ...UNSTABLE_FLAGS,
    "--no-prompt",
    fileURLToPath(WORKER_ENTRY),
    "__worker",
  ]);
  // A program that calls serve() holds the app: its workers run it again.
  assertEquals(workerCommand({ ...deno, mainModule: "file:///srv/svc.ts" }).args, [
    "run",
    "-A",
    ...UNSTABLE_FLAGS,
    "--no-prompt",
    "/srv/svc.ts",
    "__worker",
  ]);
  // So does a compiled binary, whatever module it was built from.
  assertEquals(
    workerCommand({ standalone: true, execPath: "/opt/herd", mainModule: HERD_MAIN }),
    { command: "/opt/herd", args: ["__worker"] },
  );
});

Deno.test("the worker's entry point and Herd's main.ts exist where the constants say", async () => {
  for (const url of [HERD_MAIN, WORKER_ENTRY]) {
    assertEquals((await Deno.stat(new URL(url))).isFile, true, url);
  }
});
