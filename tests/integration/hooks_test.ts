import { assert, assertEquals } from "../assert.ts";
import { fixtureApp, isAlive, startHerd, until } from "./_harness.ts";
import { pathExists } from "../../src/platform/path_exists.ts";

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
  // Its stack names config.ts as written, not the `?load=` URL it was imported by.
  const at = await herd.waitForLog(/at .*config\.ts/);
  assert(!at.includes("?load="), at);
  assertEquals((await fetch(herd.url).then((r) => r.text())).startsWith("hello from"), true);
});

/**
 * A config.ts that notes each process importing it, with `hooks` (source
 * text that may call `note(record)`) and `when_ready`, a master hook, which
 * alone must not make workers import it.
 */
function recordingConfig(out: string, hooks: string): string {
  const defineConfig = JSON.stringify(new URL("../../src/config.ts", import.meta.url).href);
  const path = JSON.stringify(out);
  return `import { defineConfig } from ${defineConfig};
    const note = (record) =>
      Deno.writeTextFileSync(${path}, JSON.stringify(record) + "\\n", { append: true });
    note({ imported: Deno.pid });
    export default defineConfig({
      worker_permissions: [${JSON.stringify(`--allow-write=${out}`)}],
      when_ready: () => {},
      ${hooks}
    });\n`;
}

async function records(path: string): Promise<Record<string, unknown>[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("hooks: worker hooks run in each worker, which imports config.ts for them", async () => {
  const out = `${await Deno.makeTempDir({ prefix: "herd-hooks-" })}/hooks.jsonl`;
  const config = recordingConfig(
    out,
    `post_worker_init: (w) => note({ hook: "post_worker_init", id: w.id, pid: Deno.pid }),
     pre_request: (w, req) => note({ hook: "pre_request", pid: Deno.pid, path: new URL(req.url).pathname }),`,
  );
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"], config });
  assertEquals((await fetch(`${herd.url}/hooked`)).status, 200);
  const workers = herd.workerPids().sort();
  const seen = await records(out);
  const importers = seen.filter((r) => "imported" in r).map((r) => r.imported as number);
  // The master, each worker, and preload's throwaway process (which imports as a worker does).
  const others = importers.filter((pid) => pid !== herd.masterPid && !workers.includes(pid));
  assertEquals(importers.length, 1 + workers.length + 1, JSON.stringify(importers));
  assert(importers.includes(herd.masterPid) && workers.every((pid) => importers.includes(pid)));
  assertEquals(others.length, 1);
  const inits = seen.filter((r) => r.hook === "post_worker_init");
  assertEquals(inits.map((r) => r.pid).sort(), workers);
  assertEquals(inits.map((r) => r.id).sort(), [1, 2]);
  const requests = seen.filter((r) => r.hook === "pre_request");
  assertEquals(requests.map((r) => r.path), ["/hooked"]);
  assertEquals(workers.includes(requests[0].pid as number), true);
});

Deno.test("hooks: without a worker hook, workers do not import config.ts", async () => {
  const out = `${await Deno.makeTempDir({ prefix: "herd-hooks-" })}/hooks.jsonl`;
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2"],
    config: recordingConfig(out, ""),
  });
  assertEquals((await fetch(herd.url)).status, 200);
  assertEquals(herd.workerPids().length, 2);
  assertEquals(await records(out), [{ imported: herd.masterPid }]);
});

Deno.test("hooks: a reload that adds a worker hook runs it in the new workers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-hooks-" });
  const out = `${dir}/hooks.jsonl`;
  const config = `${dir}/config.ts`;
  await Deno.writeTextFile(config, recordingConfig(out, ""));
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--config", config],
  });
  const [before] = herd.workerPids();
  await Deno.writeTextFile(
    config,
    recordingConfig(out, `pre_request: (w, req) => note({ hook: "pre_request", pid: Deno.pid }),`),
  );
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/Reload complete/, { from });
  // The old worker answers for a moment while it drains; the request is meant for a new one.
  await until(() => !isAlive(before), 10_000, `worker ${before} to exit`);
  assertEquals((await fetch(herd.url)).status, 200);
  const seen = await records(out);
  const hooked = seen.filter((r) => r.hook === "pre_request").map((r) => r.pid as number);
  assertEquals(hooked.length, 1);
  const [worker] = hooked;
  // A worker booted by the reload, which imported config.ts; the first worker never did.
  assert(worker !== before && herd.workerPids().includes(worker), `pre_request ran in ${worker}`);
  const importers = seen.filter((r) => "imported" in r).map((r) => r.imported);
  assertEquals(importers.includes(worker), true);
  assertEquals(importers.includes(before), false);
});

Deno.test("hooks: a master hook that never settles is given up after 10 s; the master still stops", async () => {
  const config = `export default { on_exit: () => new Promise(() => {}) };`;
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"], config });
  herd.kill("SIGTERM");
  assertEquals((await herd.waitForExit(20_000)).code, 0);
  await herd.waitForLog(/\[ERROR\] Hook "on_exit" did not finish within 10 s; going on without it/);
});

const REFUSED = "a hook must not end the master \\(send it a signal\\)";

Deno.test("hooks: a master hook that calls Deno.exit() after an await fails as a hook; the master serves on", async () => {
  const config = `export default {
    when_ready: async () => {
      await new Promise((r) => setTimeout(r, 200));
      Deno.exit(0);
    },
  };\n`;
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"], config });
  await herd.waitForLog(
    new RegExp(`\\[ERROR\\] Hook "when_ready" failed: it called Deno\\.exit\\(0\\): ${REFUSED}`),
  );
  assert(isAlive(herd.masterPid));
  assertEquals((await fetch(herd.url).then((r) => r.text())).startsWith("hello from"), true);
});

Deno.test("hooks: a timer a hook left behind, or config.ts's own, cannot end the master either", async () => {
  // The hook has settled when its timer fires; config.ts's timer fires after it was loaded.
  const config = `setTimeout(() => process.exit(5), 300);
  export default {
    when_ready: () => { setTimeout(() => Deno.exit(7), 300); },
  };\n`;
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"], config });
  await herd.waitForLog(
    /\[ERROR\] Uncaught error: Deno\.exit\(7\) refused: only a signal stops Herd/,
  );
  await herd.waitForLog(/\[ERROR\] Uncaught error: process\.exit\(5\) refused: only a signal/);
  assert(isAlive(herd.masterPid));
  assertEquals((await fetch(herd.url).then((r) => r.text())).startsWith("hello from"), true);
});

/**
 * Starts a master with `on_exit` (source text, which may log "on_exit began") and its own
 * pidfile and control socket, sends TERM, then `then` once on_exit began; resolves with what
 * it logged and its exit code, once its pidfile and control socket are asserted gone.
 */
async function stopWithOnExit(
  onExit: string,
  then?: Deno.Signal,
): Promise<{ code: number; lines: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "herd-on-exit-" });
  const [pidfile, socket] = [`${dir}/herd.pid`, `${dir}/control.sock`];
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--pidfile", pidfile, "--control-socket", socket],
    config: `export default { on_exit: ${onExit} };\n`,
  });
  assert(pathExists(pidfile) && pathExists(socket));
  herd.kill("SIGTERM");
  if (then) {
    await herd.waitForLog(/on_exit began/);
    herd.kill(then);
  }
  const { code } = await herd.waitForExit(15_000);
  assertEquals([pathExists(pidfile), pathExists(socket)], [false, false], herd.lines.join("\n"));
  return { code, lines: herd.lines };
}

Deno.test("hooks: an on_exit that calls process.exit() after an await fails as a hook; the master exits as it would", async () => {
  const { code, lines } = await stopWithOnExit(`async () => {
    await new Promise((r) => setTimeout(r, 200));
    process.exit(3);
  }`);
  assertEquals(code, 0);
  const failed = new RegExp(`Hook "on_exit" failed: it called process\\.exit\\(3\\): ${REFUSED}`);
  assert(lines.some((l) => failed.test(l)), lines.join("\n"));
});

Deno.test("hooks: the master exits as it would while an on_exit it stopped waiting for still may not exit", async () => {
  // The hook, cut by INT, still runs (and may not exit) when the master ends.
  const { code, lines } = await stopWithOnExit(
    `async (master) => {
      master.log.info("on_exit began");
      await new Promise((r) => setTimeout(r, 30_000));
      Deno.exit(3);
    }`,
    "SIGINT",
  );
  assertEquals(code, 0);
  assert(
    lines.some((l) => /Hook "on_exit" interrupted by a stop signal/.test(l)),
    lines.join("\n"),
  );
});
