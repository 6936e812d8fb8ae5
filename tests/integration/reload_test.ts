import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  assertNothingLost,
  exhaustMasterFiles,
  fixtureApp,
  HAVE_PRLIMIT,
  loadLoop,
  startHerd,
  until,
} from "./_harness.ts";

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
  const { dir, config } = await oneWorkerConfig("herd-reload-log-");
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
  const { config } = await oneWorkerConfig("herd-reload-port-");
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

Deno.test("reload: config.ts code that fails later, or calls Deno.exit(), never ends the master", async () => {
  const { config } = await oneWorkerConfig("herd-reload-stray-");
  await using herd = await startHerd({ args: ["--config", config] });
  const worker = herd.workerPids()[0];
  // A stray rejection and a timer that throws, read on a HUP: logged, and the reload goes on.
  await Deno.writeTextFile(
    config,
    'Promise.reject(new Error("stray rejection"));\n' +
      'setTimeout(() => { throw new Error("late throw"); }, 50);\n' +
      "export default { workers: 1 };\n",
  );
  let from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(
    /\[ERROR\] Unhandled promise rejection: stray rejection \(from ".*config\.ts" or a hook\?\)/,
    {
      from,
    },
  );
  await herd.waitForLog(
    /\[ERROR\] Uncaught error: late throw \(from ".*config\.ts" or a hook\?\)/,
    { from },
  );
  await herd.waitForLog(/\[INFO\] Reload complete/, { from });
  // Its stack names the file as written, not as Herd imported it (`config.ts?load=…`).
  const frames = herd.lines.slice(from).filter((line) => /^\s+at .*config\.ts/.test(line));
  assert(frames.length > 0, "the late throw's stack is logged");
  assertEquals(frames.filter((line) => line.includes("?load=")), []);
  // Deno.exit() at import: the reload fails, the workers of the last one keep serving.
  await Deno.writeTextFile(config, "Deno.exit(0);\nexport default { workers: 1 };\n");
  await until(
    () => herd.workerPids().length === 1 && herd.workerPids()[0] !== worker,
    10_000,
    "the first reload replaced the worker",
  );
  const serving = herd.workerPids();
  from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/\[ERROR\] .*called Deno\.exit\(0\) while being loaded/, { from });
  const res = await fetch(herd.url);
  assertEquals(res.status, 200);
  await res.body?.cancel();
  assertEquals(herd.workerPids(), serving);
});

/**
 * POSTs `chunks` × 64 KiB to `/submit`, one chunk every `everyMs`, and stops sending once an
 * answer starts to arrive (as curl does); resolves with the status line and the body.
 */
async function slowUpload(
  url: string,
  options: { chunks: number; everyMs: number; sent?: () => void },
): Promise<string> {
  const { port } = new URL(url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  let received = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const bytes of conn.readable) received += decoder.decode(bytes, { stream: true });
    } catch {
      // Closed by this side, below.
    }
  })();
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const length = chunk.length * options.chunks;
  const head = `POST /submit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n` +
    `Content-Length: ${length}\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head));
  for (let i = 0; i < options.chunks && received === ""; i++) {
    if (await conn.write(chunk).then(() => false, () => true)) break;
    if (i === 0) options.sent?.();
    await new Promise((resolve) => setTimeout(resolve, options.everyMs));
  }
  await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 500))]);
  try {
    conn.close();
  } catch {
    // Already closed by the server.
  }
  await reading;
  return received.split("\r\n")[0] + " | " + received.split("\r\n\r\n")[1];
}

Deno.test("reload: an upload still arriving when its worker drains is read to the end", async () => {
  await using herd = await startHerd({ args: [fixtureApp("routes.ts"), "-w", "1"] });
  const from = herd.lines.length;
  // 32 chunks 60 ms apart: about 2 s of body, with the HUP after the first chunk.
  const answer = await slowUpload(herd.url, {
    chunks: 32,
    everyMs: 60,
    sent: () => herd.kill("SIGHUP"),
  });
  assertEquals(answer, `HTTP/1.1 201 Created | got ${32 * 64 * 1024} bytes\n`);
  await herd.waitForLog(/Reload complete/, { from });
  assert(!herd.lines.slice(from).some((l) => /Error in the app/.test(l)), herd.lines.join("\n"));
});

Deno.test("timeout: an upload cut at the deadline is its 503, not an app error", async () => {
  await using herd = await startHerd({ args: [fixtureApp("routes.ts"), "-w", "1", "-t", "1"] });
  const from = herd.lines.length;
  const answer = await slowUpload(herd.url, { chunks: 40, everyMs: 60 });
  assertMatch(answer, /^HTTP\/1\.1 503 /);
  await herd.waitForLog(/No response within 1 s to POST/, { from });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert(!herd.lines.slice(from).some((l) => /Error in the app/.test(l)), herd.lines.join("\n"));
});

Deno.test("reload: the .env file's variables reach the app, the environment's first, and a HUP re-reads them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-dotenv-app-" });
  await Deno.writeTextFile(
    `${dir}/app.ts`,
    "export default () => new Response(" +
      '["DATABASE_URL", "REGION", "OTEL_RESOURCE_ATTRIBUTES"].map((k) => Deno.env.get(k)).join(" "));\n',
  );
  await Deno.writeTextFile(
    `${dir}/.env`,
    "DATABASE_URL=postgres://one\nREGION=from-dotenv\nOTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod\n",
  );
  await using herd = await startHerd({
    args: [`${dir}/app.ts`, "-w", "1", "--worker-permissions=--allow-env=DATABASE_URL,REGION"],
    cwd: dir,
    env: { REGION: "from-environment" },
  });
  // Herd's own resource attributes are added to the .env file's, not put in their place.
  assertMatch(
    await fetch(herd.url).then((r) => r.text()),
    /^postgres:\/\/one from-environment deployment\.environment=prod,service\.instance\.id=/,
  );
  await Deno.writeTextFile(`${dir}/.env`, "DATABASE_URL=postgres://two\n");
  const [old] = herd.workerPids();
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/Reload complete/, { from });
  await herd.waitForLog(new RegExp(`\\(pid: ${old}\\) exited`), { from });
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const body = await fetch(herd.url, { client }).then((r) => r.text());
  client.close();
  assertMatch(body, /^postgres:\/\/two from-environment service\.instance\.id=/);
});

Deno.test("signals: TERM stops accepting even while a request with an unread body is in flight", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("routes.ts"), "-w", "1", "--graceful-timeout", "10"],
  });
  // The app answers after 2 s and never reads the small body it was sent.
  const slow = fetch(`${herd.url}/slow?ms=2000`, { method: "POST", body: "tiny" })
    .then((r) => r.text());
  await new Promise((resolve) => setTimeout(resolve, 300));
  herd.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 800)); // past the 300 ms linger
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const late = await fetch(herd.url, { client }).then(
    (r) => `answered ${r.status}`,
    () => "refused",
  );
  client.close();
  assertEquals(late, "refused");
  assertEquals(await slow, "slow done\n");
  assertEquals((await herd.waitForExit()).code, 0);
});

/** A temporary directory holding a config.ts of one worker, for a test to rewrite before a HUP. */
async function oneWorkerConfig(prefix: string): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: `${prefix}-` });
  const config = `${dir}/config.ts`;
  await Deno.writeTextFile(config, "export default { workers: 1 };\n");
  return { dir, config };
}

Deno.test({
  name:
    "reload: a HUP while the master is out of file descriptors is postponed, serving on, then done by itself",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // Deno panics importing config.ts with no descriptor left: the master died, and its workers
    // left with it. It must not try.
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1"],
      config: "export default { workers: 1 };\n",
    });
    const [worker] = herd.workerPids();
    const from = herd.lines.length;
    {
      await using _full = await exhaustMasterFiles(herd);
      herd.kill("SIGHUP");
      const refused = await herd.waitForLog(/Reload postponed/, { from });
      assertEquals(
        // config.ts is in a directory of its own, named by its absolute path.
        refused.replace(/^.*\[ERROR\] /, "").replace(/"\/[^"]*\/config\.ts"/, '"/…/config.ts"'),
        "Reload postponed: the master has fewer than 8 file descriptors free (Too many open " +
          'files): importing "/…/config.ts" could crash it (Deno panics importing a ' +
          "module with no descriptor left; raise the open-files limit: LimitNOFILE, ulimit -n); " +
          "the running configuration and workers are kept meanwhile; trying again every 1000 ms",
      );
      // Tried again, quietly, while the shortage lasts.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assertEquals(herd.workerPids(), [worker], "the worker is kept");
    }
    assertEquals(herd.lines.slice(from).filter((l) => /Reload postponed/.test(l)).length, 1);
    assertEquals(await (await fetch(herd.url)).text(), `hello from ${worker}\n`);
    // Once the master can open files again, the reload goes through by itself: no second HUP.
    await herd.waitForLog(
      /Reloading the configuration \(postponed for lack of file descriptors\)/,
      {
        from,
      },
    );
    await herd.waitForLog(/Reload complete/, { from });
    await herd.waitForLog(new RegExp(`\\(pid: ${worker}\\) exited .*reason: reload`), { from });
  },
});

Deno.test({
  name:
    "reload: a HUP with no config.ts while the master is out of file descriptors is read at once, not postponed",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // Flags, the environment and .env import nothing: Deno has nothing to panic over. Only
    // the spawn waits for descriptors, as any spawn does.
    await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"] });
    const [worker] = herd.workerPids();
    const from = herd.lines.length;
    {
      await using _full = await exhaustMasterFiles(herd);
      herd.kill("SIGHUP");
      const read = await herd.waitForLog(/Cannot start worker 1 \(|Reload postponed/, { from });
      assertMatch(read, /Cannot start worker 1 \(.*Too many open files\)/);
    }
    await herd.waitForLog(/Reload complete/, { from });
    await herd.waitForLog(new RegExp(`\\(pid: ${worker}\\) exited .*reason: reload`), { from });
    const said = herd.lines.slice(from);
    assertEquals(said.filter((l) => /Reload (postponed|failed)/.test(l)), [], said.join("\n"));
  },
});
