/**
 * The file reader behind platform detection: never throws, never prompts.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { readTextOrNull } from "../../../src/platform/read_text.ts";

Deno.test("readTextOrNull reads a file and returns null for a missing one", () => {
  const dir = Deno.makeTempDirSync({ prefix: "herd_read_text_" });
  try {
    Deno.writeTextFileSync(`${dir}/sample`, "0::/\n");
    assertEquals(readTextOrNull(`${dir}/sample`), "0::/\n");
    assertEquals(readTextOrNull(`${dir}/missing`), null);
    assertEquals(readTextOrNull(dir), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readTextOrNull returns null where Deno refuses the read", async () => {
  // /etc/hostname is outside the granted paths; /proc/self/cgroup is granted
  // but Deno 2.9 still wants --allow-all for it (NotCapable).
  const dir = Deno.makeTempDirSync({ prefix: "herd_read_text_" });
  try {
    const script = `${dir}/probe.ts`;
    const reader = new URL("../../../src/platform/read_text.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      script,
      `import { readTextOrNull } from ${JSON.stringify(reader)};\n` +
        `console.log(JSON.stringify([readTextOrNull("/etc/hostname"), readTextOrNull("/proc/self/cgroup")]));\n`,
    );
    const { stdout, code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-read=/proc/self/cgroup", script],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assertEquals(code, 0);
    assertEquals(new TextDecoder().decode(stdout).trim(), "[null,null]");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
