/**
 * A program that calls `serve(app, config)`, in a project of its own (no
 * deno.json of Herd's around it): its workers get the unstable flags they
 * need, and an app its workers cannot load (a variable the workers may not
 * read) is found by `check` and by `serve`'s preload, with Herd's one line
 * and hint, not Deno's stack trace and a worker boot failure.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { freePort } from "./_harness.ts";

const MOD = new URL("../../src/mod.ts", import.meta.url).href;

/** A project directory with `app.ts` (reads DATABASE_URL at import) and `my_service.ts`. */
async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "herd-program-" });
  await Deno.writeTextFile(
    `${dir}/app.ts`,
    'const db = Deno.env.get("DATABASE_URL");\n' +
      'export default { fetch: async (req: Request) => new URL(req.url).pathname === "/file"\n' +
      '  ? new Response(await Deno.readTextFile(new URL("./data.txt", import.meta.url)))\n' +
      "  : new Response(`db=${db}\\n`) };\n",
  );
  await Deno.writeTextFile(
    `${dir}/my_service.ts`,
    `import { defineConfig, serve } from "${MOD}";\nimport app from "./app.ts";\n` +
      'await serve(app, defineConfig({ envPrefix: "MYSVC", workers: 1 }));\n',
  );
  await Deno.writeTextFile(`${dir}/data.txt`, "beside the program\n");
  return dir;
}

function run(dir: string, args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${dir}/my_service.ts`, ...args],
    cwd: dir,
    env: { NO_COLOR: "1", DATABASE_URL: "postgres://db", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("program: an app its workers cannot load is refused by check and by serve, in one line with the hint", async () => {
  const dir = await project();
  const port = String(freePort());
  const hint =
    /Requires env access to "DATABASE_URL": .*add "--allow-env=DATABASE_URL" to worker_permissions/;
  const check = await run(dir, ["check", "--port", port]).output();
  const checkErr = new TextDecoder().decode(check.stderr);
  assertEquals(check.code, 4, checkErr);
  assertMatch(checkErr, hint);
  const serve = await run(dir, ["--port", port]).output();
  const serveErr = new TextDecoder().decode(serve.stderr);
  assertEquals(serve.code, 4, serveErr);
  assertMatch(serveErr, hint);
  assert(!/Uncaught|failed to boot/.test(serveErr), serveErr);
});

Deno.test("program: given the permission, its workers serve without Herd's deno.json, and check notes the busy port", async () => {
  const dir = await project();
  const port = String(freePort());
  const env = { MYSVC_WORKER_PERMISSIONS: "--allow-env=DATABASE_URL" };
  const child = run(dir, ["--port", port], env).spawn();
  try {
    let body = "";
    for (let i = 0; i < 100 && body === ""; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => "");
    }
    assertEquals(body, "db=postgres://db\n");
    // Its workers read the program's directory, as an app's.
    const file = await fetch(`http://127.0.0.1:${port}/file`).then((r) => r.text());
    assertEquals(file, "beside the program\n");
    const check = await run(dir, ["check", "--port", port], env).output();
    const out = new TextDecoder().decode(check.stdout) + new TextDecoder().decode(check.stderr);
    assertEquals(check.code, 0, out);
    assertMatch(out, /Configuration OK/);
    assertMatch(out, /note: Address 127\.0\.0\.1:\d+ is already in use/);
  } finally {
    child.kill("SIGTERM");
    await child.output();
  }
});
