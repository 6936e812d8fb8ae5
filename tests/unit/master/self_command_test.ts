import { assertEquals } from "../../assert.ts";
import { selfCommand } from "../../../src/master/self_command.ts";

Deno.test("selfCommand re-runs the main script with permissions in script mode", () => {
  const runtime = {
    standalone: false,
    execPath: "/usr/local/bin/deno",
    mainModule: "file:///srv/my%20app/main.ts",
  };
  assertEquals(selfCommand(runtime, ["__worker"]), {
    command: "/usr/local/bin/deno",
    args: ["run", "-A", "--no-prompt", "/srv/my app/main.ts", "__worker"],
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
    "--no-prompt",
    "/m.ts",
    "serve",
    "app.ts",
  ]);
});

Deno.test("selfCommand runs the binary itself in compiled mode", () => {
  const runtime = { standalone: true, execPath: "/opt/herd", mainModule: "file:///x/main.ts" };
  assertEquals(selfCommand(runtime, ["__worker"]), { command: "/opt/herd", args: ["__worker"] });
});
