import { assertEquals } from "../assert.ts";
import { fixtureApp, startHerd } from "./_harness.ts";

Deno.test("hooks: master hooks fire in order with their arguments", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-hooks-" });
  const out = `${dir}/hooks.jsonl`;
  const record = (name: string, args: string) =>
    `${name}: (...a) => Deno.writeTextFileSync(${JSON.stringify(out)}, ` +
    `JSON.stringify({ hook: "${name}", ${args} }) + "\\n", { append: true }),`;
  const config = `export default {
    ${record("on_starting", "workers: a[0].workers.length")}
    ${record("pre_fork", "id: a[1].id, pid: a[1].pid")}
    ${record("post_fork", "id: a[1].id, positive: a[1].pid > 0")}
    ${record("when_ready", "workers: a[0].workers.length")}
    ${record("worker_exit", "id: a[1].id, reason: a[2]")}
    ${record("child_exit", "id: a[1].id, code: a[2].code")}
    ${record("on_exit", "pid: a[0].pid > 0")}
  };\n`;
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"], config });
  herd.kill("SIGTERM");
  assertEquals((await herd.waitForExit()).code, 0);
  const calls = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(calls, [
    { hook: "on_starting", workers: 0 },
    { hook: "pre_fork", id: 1, pid: 0 },
    { hook: "post_fork", id: 1, positive: true },
    { hook: "when_ready", workers: 1 },
    { hook: "worker_exit", id: 1, reason: "shutdown" },
    { hook: "child_exit", id: 1, code: 0 },
    { hook: "on_exit", pid: true },
  ]);
});

Deno.test("hooks: a hook that throws is logged with its name and nothing crashes", async () => {
  const config = `export default { when_ready: () => { throw new Error("hook boom"); } };\n`;
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"], config });
  await herd.waitForLog(/Hook "when_ready" failed: hook boom/);
  assertEquals((await fetch(herd.url).then((r) => r.text())).startsWith("hello from"), true);
});
