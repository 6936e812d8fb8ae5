/**
 * Tests for `needsAllPermissions()`, checked against the runtime itself: a
 * process with scoped permissions really cannot open what it names.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { needsAllPermissions } from "../../../src/platform/special_files.ts";

Deno.test("needsAllPermissions() names what Deno opens only with every permission", () => {
  assertEquals(needsAllPermissions("/dev/shm/access.log"), true);
  assertEquals(needsAllPermissions("/proc/self/fd/1"), true);
  assertEquals(needsAllPermissions("/sys/kernel/x"), true);
  assertEquals(needsAllPermissions("/dev/null"), false);
  assertEquals(needsAllPermissions("/var/log/herd/access.log"), false);
  assertEquals(needsAllPermissions("/device/log"), false);
});

Deno.test("needsAllPermissions() agrees with the runtime for a scoped process", async () => {
  const dir = await Deno.makeTempDir();
  // `deno eval` would grant everything: a script run with scoped flags, as a worker is.
  const script = `${dir}/open.ts`;
  await Deno.writeTextFile(
    script,
    "Deno.openSync(Deno.args[0], { append: true, create: true }).close();",
  );
  const cases = ["/dev/shm/herd-special-files-test.log", "/dev/null", `${dir}/plain.log`];
  try {
    for (const path of cases) {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", `--allow-write=${path}`, `--allow-read=${path}`, "--no-prompt", script, path],
        stderr: "piped",
      }).output();
      const opened = code === 0;
      assert(
        opened !== needsAllPermissions(path),
        `${path}: opened=${opened}: ${new TextDecoder().decode(stderr)}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove("/dev/shm/herd-special-files-test.log").catch(() => {});
  }
});
