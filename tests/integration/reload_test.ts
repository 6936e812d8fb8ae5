import { assert, assertEquals, assertMatch } from "../assert.ts";
import { assertNothingLost, fixtureApp, loadLoop, startHerd } from "./_harness.ts";

Deno.test("reload: HUP under load replaces every worker with zero failed requests", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  const before = herd.workerPids();
  const stop = new AbortController();
  const load = loadLoop(herd.url, {
    concurrency: 4,
    signal: stop.signal,
    maxRequests: 20_000,
    keepAlive: true,
  });
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  try {
    await herd.waitForLog(/Reload complete/, { from, timeoutMs: 20_000 });
    for (const pid of before) {
      await herd.waitForLog(new RegExp(`\\(pid: ${pid}\\) exited .*reason: reload`), { from });
    }
  } finally {
    stop.abort();
  }
  const result = await load;
  const after = herd.workerPids();
  assertEquals(after.length, 2);
  assertEquals(after.filter((pid) => before.includes(pid)), [], "every worker pid changed");
  assertNothingLost(result);
});

Deno.test("reload: a new worker that cannot boot leaves the old ones serving", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-" });
  const app = `${dir}/app.ts`;
  await Deno.copyFile(fixtureApp("hello.ts"), app);
  await using herd = await startHerd({ args: [app, "-w", "2"] });
  const before = herd.workerPids();
  await Deno.copyFile(fixtureApp("crash_on_import.ts"), app);
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/Reload abandoned: .*failed to boot/, { from });
  assertEquals(herd.workerPids(), before);
  const text = await fetch(herd.url).then((r) => r.text());
  assertEquals(text.startsWith("hello from"), true);
});

Deno.test("reload: a HUP that moves the app outside the old read scope boots it with a new scope", async () => {
  // Workers may read only the app's directory (and config, cwd, Herd's own files): an app
  // moved elsewhere on reload must get a new scope, or its workers could not load it.
  const [first, second, configDir] = await Promise.all(
    ["herd-app-a-", "herd-app-b-", "herd-config-"].map((prefix) => Deno.makeTempDir({ prefix })),
  );
  await Deno.writeTextFile(`${first}/app.ts`, 'export default () => new Response("from a");\n');
  await Deno.writeTextFile(`${second}/app.ts`, 'export default () => new Response("from b");\n');
  const config = `${configDir}/config.ts`;
  const configFor = (dir: string) => `export default { app: "${dir}/app.ts", workers: 1 };\n`;
  await Deno.writeTextFile(config, configFor(first));
  await using herd = await startHerd({ args: ["--config", config] });
  assertEquals(await fetch(herd.url).then((r) => r.text()), "from a");
  await Deno.writeTextFile(config, configFor(second));
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/Reload complete/, { from });
  // A new connection each time: a pooled one may still reach the old worker while it drains.
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const deadline = Date.now() + 5000;
  let text = "";
  while (text !== "from b" && Date.now() < deadline) {
    text = await fetch(herd.url, { client }).then((r) => r.text());
  }
  assertEquals(text, "from b");
  assert(!herd.lines.slice(from).some((l) => /NotCapable|Requires read access/.test(l)));
});

Deno.test("reload: the master's own log follows a HUP to a new error_log and log_level", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-log-" });
  const config = `${dir}/config.ts`;
  await Deno.writeTextFile(config, `export default { workers: 1 };\n`);
  await using herd = await startHerd({ args: ["--config", config] });
  const errorLog = `${dir}/logs/error.log`;
  await Deno.writeTextFile(
    config,
    `export default { workers: 1, error_log: ${JSON.stringify(errorLog)}, log_level: "debug" };\n`,
  );
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  const deadline = Date.now() + 10_000;
  let text = "";
  while (!/\[INFO\] Reload complete/.test(text) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    text = await Deno.readTextFile(errorLog).catch(() => "");
  }
  assertMatch(text, new RegExp(`\\[${herd.masterPid}\\] \\[INFO\\] Reload complete`));
  // debug lines now reach the file (the new workers log theirs there too).
  assertMatch(text, /\[DEBUG\] /);
  assert(!herd.lines.slice(from).some((l) => l.includes("Reload complete")), "still on stderr");
});

Deno.test("reload: a HUP that moves an address is refused with the reason; the workers keep serving", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-port-" });
  const config = `${dir}/config.ts`;
  await Deno.writeTextFile(config, `export default { workers: 1 };\n`);
  await using herd = await startHerd({ args: ["--config", config] });
  const worker = herd.workerPids()[0];
  // The harness's --host and --port outrank config.ts (and a bind there): move the metrics
  // address instead, fixed at start as they are.
  await Deno.writeTextFile(config, `export default { workers: 1, metrics_bind: "127.0.0.1:1" };\n`);
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/\[ERROR\] Reload failed/, { from });
  await herd.waitForLog(
    /\[ERROR\] "metrics_bind" changed from null to "127\.0\.0\.1:1": bind, host, port, .* apply on a restart \(or USR2\), not a reload$/,
    { from },
  );
  const res = await fetch(herd.url);
  assertEquals(res.status, 200);
  await res.body?.cancel();
  assertEquals(herd.workerPids(), [worker]);
});
