/**
 * `releaseFfi` in child processes with the permissions a worker can have.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";

const MODULE = new URL("../../../src/worker/release_ffi.ts", import.meta.url);

async function releaseIn(permissions: string[], declared: string[]): Promise<string> {
  const script = `import { releaseFfi } from ${JSON.stringify(MODULE.href)};
const outcome = releaseFfi(${JSON.stringify(declared)});
let dlopen = "ok";
try { Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }).close(); }
catch (error) { dlopen = error.name; }
console.log(outcome, dlopen);`;
  const dir = await Deno.makeTempDir({ prefix: "herd_ffi_" });
  try {
    await Deno.writeTextFile(`${dir}/probe.js`, script);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...(permissions.includes("-A")
          ? permissions
          : [...permissions, `--allow-read=${dir},${MODULE.pathname}`]),
        `${dir}/probe.js`,
      ],
      stderr: "inherit",
    }).output();
    return new TextDecoder().decode(output.stdout).trim();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("releaseFfi drops FFI in Herd's sandbox and keeps it when declared or unsandboxed", async () => {
  assertEquals(await releaseIn(["--allow-ffi"], []), "released NotCapable");
  assertEquals(await releaseIn(["--allow-ffi"], ["--allow-env=X", "--allow-ffi"]), "declared ok");
  assertEquals(await releaseIn(["--allow-ffi"], ["all"]), "declared ok");
  assertEquals(await releaseIn(["-A"], []), "unsandboxed ok");
});
