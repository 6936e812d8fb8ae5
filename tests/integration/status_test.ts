import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, freePort, HAVE_PRLIMIT, limitOpenFiles, MAIN, startHerd } from "./_harness.ts";
import { controlSocketPath } from "../../src/ipc/control_path.ts";

async function herdCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
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
  // Run by logrotate or cron, a success prints nothing on stderr (which would mail someone),
  // whatever the configuration warns about; a failure adds the warnings, as a hint.
  const typo = { HERD_WORKRS: "2" };
  const quiet = await herdCommand(["reopen-logs", ...where], typo);
  assertEquals([quiet.code, quiet.err], [0, ""]);
  const failed = await herdCommand(["status", "--host", "127.0.0.1", "--port", "1"], typo);
  assertEquals(failed.code, 1);
  assertMatch(failed.err, /\nwarning: Unknown variable "HERD_WORKRS" \(environment\)/);
});

Deno.test("status: no master running exits 1 with one line", async () => {
  // A private runtime directory: no other master of this user is in sight.
  const env = { XDG_RUNTIME_DIR: await Deno.makeTempDir() };
  const result = await herdCommand(["status", "--host", "127.0.0.1", "--port", "1"], env);
  assertEquals(result.code, 1);
  assert(
    /^error: No Herd master runs for 127\.0\.0\.1:1 \("port" from --port \(command line\)\): nothing answers at .*\.sock \(a master starting opens it once its app is loaded\)\n$/
      .test(result.err),
    result.err,
  );
});

Deno.test("status: finds the master started on another host (the production default), or lists them", async () => {
  const env = { XDG_RUNTIME_DIR: await Deno.makeTempDir() };
  // As `serve` in production (host 0.0.0.0) and `status` run without the profile.
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--host", "127.0.0.2"],
    env,
  });
  const found = await herdCommand(["status", "--json", "--port", String(herd.port)], env);
  assertEquals(found.code, 0, found.err);
  assertEquals(JSON.parse(found.out).master.pid, herd.masterPid);
  assertMatch(
    found.err,
    /^No master at .*127\.0\.0\.1_\d+\/control\.sock; asking the one at .*127\.0\.0\.2_\d+\/control\.sock\n$/,
  );
  // A port that was asked for is not answered by the only master, on another port: no master
  // runs there, which is said first; the other is named, not offered as the one to pick.
  const elsewhere = await herdCommand(["status", "--port", "1"], env);
  assertEquals(elsewhere.code, 1, elsewhere.out);
  assertMatch(
    elsewhere.err,
    /^error: No Herd master runs for 127\.0\.0\.1:1 \("port" from --port \(command line\)\): nothing answers at .*_1\/control\.sock \(a master starting opens it once its app is loaded\); another master answers at ".*127\.0\.0\.2_\d+\/control\.sock"\n$/,
  );
  // Another port, with two masters running: which one is meant cannot be guessed.
  await using other = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"], env });
  const ambiguous = await herdCommand(["status", "--port", "1"], env);
  assertEquals(ambiguous.code, 1);
  assertMatch(
    ambiguous.err,
    /^error: No Herd master runs for 127\.0\.0\.1:1 \("port" from --port \(command line\)\): nothing answers at .*_1\/control\.sock \(a master starting opens it once its app is loaded\); other masters answer at ".*127\.0\.0\.1_\d+\/control\.sock", ".*127\.0\.0\.2_\d+\/control\.sock"\n$/,
  );
  // No address named: which master is meant is the user's to say.
  const unnamed = await herdCommand(["reopen-logs"], env);
  assertEquals(unnamed.code, 1);
  assertMatch(
    unnamed.err,
    /^error: No Herd master answers at .*_8080\/control\.sock \(a master starting opens it once its app is loaded\); masters answer at ".*127\.0\.0\.1_\d+\/control\.sock", ".*127\.0\.0\.2_\d+\/control\.sock": pick one with --control-socket\n$/,
  );
  assert(other.port !== herd.port);
});

Deno.test("status --port finds the master on that port that also has a unix: bind", async () => {
  const env = { XDG_RUNTIME_DIR: await Deno.makeTempDir() };
  const socket = `${await Deno.makeTempDir({ prefix: "herd-status-unix-" })}/h.sock`;
  const port = String(freePort());
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "-b", `127.0.0.1:${port}`, "-b", `unix:${socket}`],
    env,
  });
  const found = await herdCommand(["status", "--json", "--port", port], env);
  assertEquals(found.code, 0, found.err);
  assertEquals(JSON.parse(found.out).master.pid, herd.masterPid);
});

Deno.test("status --port does not take a master on a unix: path whose name ends in that number for one on that port", async () => {
  const env = { XDG_RUNTIME_DIR: await Deno.makeTempDir() };
  const port = String(freePort());
  // Its control directory is named `unix_tmp_hs-…_h_<port>`: a TCP bind's name ends the same.
  const socket = `${await Deno.makeTempDir({ prefix: "hs-" })}/h_${port}`;
  await using _herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "-b", `unix:${socket}`],
    env,
  });
  const asked = await herdCommand(["status", "--port", port], env);
  assertEquals(asked.code, 1, asked.err);
  assertMatch(
    asked.err,
    /^error: No Herd master runs for 127\.0\.0\.1:\d+ .*another master answers at/,
  );
});

Deno.test("reopen-logs: a log directory moved away is made again; an unusable one fails the command", async () => {
  const dir = await Deno.makeTempDir();
  const env = { XDG_RUNTIME_DIR: dir };
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--access-log", `${dir}/logs/access.log`],
    env,
  });
  // logrotate-style, with the directory: the workers' next lines go to a new one.
  await Deno.rename(`${dir}/logs`, `${dir}/moved`);
  const reopened = await herdCommand(["reopen-logs", "--port", String(herd.port)], env);
  assertEquals([reopened.code, reopened.out], [0, "Logs reopened\n"], reopened.err);
  const read = () => Deno.readTextFile(`${dir}/logs/access.log`).catch(() => "");
  for (let i = 0; i < 50 && !(await read()).includes("GET /after"); i++) {
    await fetch(`${herd.url}/after`).then((r) => r.body?.cancel());
    await new Promise((r) => setTimeout(r, 100));
  }
  assertMatch(await read(), /"GET \/after HTTP\/1\.1" 200/);
  // A file where the directory was: nothing can be reopened there.
  await Deno.rename(`${dir}/logs`, `${dir}/moved2`);
  await Deno.writeTextFile(`${dir}/logs`, "");
  const failed = await herdCommand(["reopen-logs", "--port", String(herd.port)], env);
  assertEquals(failed.code, 1, failed.out);
  assertEquals(
    failed.err,
    `error: The master could not do "reopen-logs": Cannot create log directory "${dir}/logs": Not a directory ("access_log" from --access-log (command line))\n`,
  );
  // The master's log says so too, for whoever reads it later.
  await herd.waitForLog(
    /\[ERROR\] reopen-logs failed: Cannot create log directory ".*\/logs": Not a directory/,
  );
});

Deno.test({
  name: "status: a master out of file descriptors accepts control connections again once freed",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // Workers report, and replacements announce themselves, through the control socket: a
    // master that stopped accepting on EMFILE could not replace any worker again.
    await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"] });
    const path = controlSocketPath({
      control_socket: null,
      bind: [],
      host: "127.0.0.1",
      port: herd.port,
    });
    await limitOpenFiles(herd.masterPid, 64);
    const from = herd.lines.length;
    const held: Deno.UnixConn[] = [];
    try {
      for (let i = 0; i < 100; i++) held.push(await Deno.connect({ transport: "unix", path }));
      await herd.waitForLog(/Control socket: cannot accept a connection \(Too many open files\)/, {
        from,
      });
    } finally {
      for (const conn of held) conn.close();
    }
    await herd.waitForLog(/Control socket: accepting connections again/, { from });
    const where = ["--host", "127.0.0.1", "--port", String(herd.port)];
    const status = await herdCommand(["status", ...where]);
    assertEquals(status.code, 0, status.err);
    // A replacement reaches the master too.
    const [worker] = herd.workerPids();
    Deno.kill(worker, "SIGKILL");
    await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from: herd.lines.length });
  },
});
