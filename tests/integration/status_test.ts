import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, MAIN, startHerd } from "./_harness.ts";

async function herdCommand(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
    cwd: await Deno.makeTempDir({ prefix: "herd-status-" }),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, out: text(output.stdout), err: text(output.stderr) };
}

Deno.test("status: prints one row per worker, and JSON with --json", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  const where = ["--host", "127.0.0.1", "--port", String(herd.port)];
  const table = await herdCommand(["status", ...where]);
  assertEquals(table.code, 0, table.err);
  for (const pid of herd.workerPids()) assertMatch(table.out, new RegExp(`\\b${pid}\\b.*ready`));
  assertMatch(table.out, /Restarts: none/);
  const json = await herdCommand(["status", "--json", ...where]);
  const response = JSON.parse(json.out);
  assertEquals(response.master.pid, herd.masterPid);
  assertEquals(response.workers.length, 2);
  const reopened = await herdCommand(["reopen-logs", ...where]);
  assertEquals(reopened.out.trim(), "Logs reopened");
});

Deno.test("status: no master running exits 1 with one line", async () => {
  const result = await herdCommand(["status", "--host", "127.0.0.1", "--port", "1"]);
  assertEquals(result.code, 1);
  assert(/^error: No Herd master is running for .*\.sock\n$/.test(result.err), result.err);
});
