import { dirname } from "node:path";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  assertNothingLost,
  childPids,
  fixtureApp,
  freePort,
  loadLoop,
  runHerd,
  startHerd,
  until,
} from "./_harness.ts";

Deno.test("serve: every worker answers and the master is off the data path", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "--workers", "2"] });
  const workers = herd.workerPids();
  assertEquals(workers.length, 2);
  const stop = new AbortController();
  const seen = new Set<number>();
  const load = loadLoop(herd.url, { concurrency: 4, signal: stop.signal, maxRequests: 400 });
  const result = await load;
  for (const pid of result.pids) seen.add(pid);
  assertNothingLost(result);
  assertEquals([...seen].sort(), workers, "both workers served, never the master");
  assert(!seen.has(herd.masterPid));
});

Deno.test("serve: a Hono-style app keeps its this binding", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hono_style.ts"), "-w", "1"] });
  const text = await (await fetch(herd.url)).text();
  assert(text.startsWith("hono-style from "), text);
});

/** Runs `fn` in a new project directory holding `files` (relative path → text), then removes it. */
async function inProject(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herd-project-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(`${dir}/${path}`), { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("serve: an app of another project runs with that project's deno.json, as deno serve runs it", async () => {
  // Deno finds deno.json from the main module's directory, and a worker's is Herd's: the
  // app's import map (`import { Hono } from "hono"`) would not apply. The app imports from
  // beside its own directory, which its worker may read as part of its project.
  await inProject({
    "deno.json": '{ "imports": { "greeting": "./lib/greeting.ts" } }',
    "lib/greeting.ts": 'export const greeting = "mapped";\n',
    "src/app.ts":
      'import { greeting } from "greeting";\nexport default { fetch: () => new Response(greeting) };\n',
  }, async (dir) => {
    await using herd = await startHerd({ args: [`${dir}/src/app.ts`, "-w", "1"] });
    assertEquals(await (await fetch(herd.url)).text(), "mapped");
  });
});

Deno.test("serve: an app whose project's deno.json does not parse is refused in one line naming it", async () => {
  await inProject({
    "deno.json": '{ "imports": ',
    "app.ts": 'export default () => new Response("x");\n',
  }, async (dir) => {
    const { code, stderr } = await runHerd(["serve", `${dir}/app.ts`, "-w", "1"]);
    assertEquals(code, 4, stderr);
    assertMatch(
      stderr,
      new RegExp(`Failed deserializing config file 'file://${dir}/deno.json': Unterminated object`),
    );
  });
});

Deno.test("serve: a package.json project without a deno.json is told to add one", async () => {
  await inProject({
    "package.json": '{ "dependencies": { "left-pad": "^1" } }',
    "app.ts":
      'import pad from "left-pad";\nexport default { fetch: () => new Response(pad("x", 3)) };\n',
  }, async (dir) => {
    const { code, stderr } = await runHerd(["serve", `${dir}/app.ts`, "-w", "1"]);
    assertEquals(code, 4, stderr);
    assertMatch(stderr, /not a dependency/);
    assertMatch(
      stderr,
      new RegExp(`"${dir}" has a package.json and no deno.json: add one beside it`),
    );
  });
});

Deno.test("serve: each worker calls the app's onListen with the address it serves, as deno serve does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-on-listen-" });
  const file = `${dir}/listened`;
  try {
    await using herd = await startHerd({
      args: [
        fixtureApp("on_listen.ts"),
        "-w",
        "2",
        `--worker-permissions=--allow-env=ON_LISTEN_FILE,ON_LISTEN_THROW --allow-write=${file}`,
      ],
      env: { ON_LISTEN_FILE: file },
    });
    const lines = (await Deno.readTextFile(file)).trim().split("\n").sort();
    assertEquals(lines, herd.workerPids().map((pid) => `${pid} 127.0.0.1:${herd.port}`).sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: an app whose onListen throws fails the workers' boot (exit 3), naming it", async () => {
  await using herd = await startHerd({
    args: [
      fixtureApp("on_listen.ts"),
      "-w",
      "1",
      "--worker-permissions=--allow-env=ON_LISTEN_FILE,ON_LISTEN_THROW",
    ],
    env: { ON_LISTEN_THROW: "1" },
    waitReady: false,
  });
  assertEquals((await herd.waitForExit(20_000)).code, 3);
  assert(
    herd.lines.some((l) =>
      /failed to boot: The app's onListen threw Error: warm-up failed$/.test(l)
    ),
    herd.lines.join("\n"),
  );
});

Deno.test("serve: an address already in use is refused with exit 5", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  await using herd = await startHerd({ port, args: [fixtureApp("hello.ts")], waitReady: false });
  const status = await herd.waitForExit();
  assertEquals(status.code, 5);
  await herd.waitForLog(
    new RegExp(
      `^error: Address 127\\.0\\.0\\.1:${port} is already in use \\("port" from --port \\(command line\\)\\)$`,
    ),
  );
  // Checked five times, a second apart, as Gunicorn's bind does, before refusing.
  const retries = herd.lines.filter((l) => l.includes("is already in use; checking again in 1 s"));
  assertEquals(retries.map((l) => /\((\d) of 5\)$/.exec(l)?.[1]), ["1", "2", "3", "4"]);
});

Deno.test("serve: an address that is freed within the retries is served", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  await using herd = await startHerd({
    port,
    args: [fixtureApp("hello.ts"), "-w", "1"],
    waitReady: false,
  });
  await herd.waitForLog(/is already in use; checking again in 1 s \(1 of 5\)$/);
  listener.close();
  await herd.waitForLog(/Ready: 1 worker listening/);
  assertMatch(await fetch(herd.url).then((r) => r.text()), /^hello from \d+/);
});

Deno.test("serve: a stop signal while waiting for an address in use ends the start, exit 0", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  await using herd = await startHerd({ port, args: [fixtureApp("hello.ts")], waitReady: false });
  await herd.waitForLog(/is already in use; checking again in 1 s \(1 of 5\)$/);
  // That the wait ends at once, not at the next check, is whileInUse's unit test (no clock here).
  herd.kill("SIGTERM");
  const status = await herd.waitForExit();
  assertEquals(status.code, 0);
  assertEquals(herd.lines.filter((l) => l.includes("checking again")).length, 1);
  await herd.waitForLog(/SIGTERM before any worker started: exiting$/);
  assertEquals(herd.lines.filter((l) => l.startsWith("error:")), []);
});

Deno.test("serve: of two masters started at the same moment on one address, one serves and the other exits 5", async () => {
  // Both pass the address check before either listens (or the later one finds the address in
  // use); the control socket decides. The race is lost at either of its steps (the claim, or
  // the link an instant later), by chance: three rounds.
  for (let round = 0; round < 3; round++) {
    const port = freePort();
    const start = () =>
      startHerd({ port, args: [fixtureApp("hello.ts"), "-w", "1"], waitReady: false });
    await using first = await start();
    await using second = await start();
    const loser = await Promise.race([
      first.waitForExit().then(() => first),
      second.waitForExit().then(() => second),
    ]);
    const winner = loser === first ? second : first;
    assertEquals((await loser.waitForExit()).code, 5, loser.lines.join("\n"));
    // Exit 2 would say the configuration is wrong (and systemd's RestartPreventExitStatus=2
    // would never retry it).
    await loser.waitForLog(/^error: (Control socket ".*" is in use|Address .* is already in use)/);
    await winner.waitForLog(/Ready: 1 worker listening/);
  }
});

Deno.test("serve: an address this machine cannot listen on is refused with exit 5 and one line", async () => {
  // 192.0.2.1 is TEST-NET-1: never an interface here.
  const { code, stderr } = await runHerd(
    ["serve", fixtureApp("hello.ts"), "--host", "192.0.2.1", "-p", "19099"],
  );
  assertEquals(code, 5, stderr);
  assertEquals(
    stderr,
    "error: Cannot listen on 192.0.2.1:19099: Cannot assign requested address " +
      '("host" from --host (command line))',
  );
});

Deno.test("serve: a foreign reusePort listener on the port is refused too", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true });
  const port = (listener.addr as Deno.NetAddr).port;
  // Without the check, our reusePort workers would join it and share its traffic.
  await using herd = await startHerd({ port, args: [fixtureApp("hello.ts")], waitReady: false });
  assertEquals((await herd.waitForExit()).code, 5);
});

Deno.test("serve: an app that throws on import stops the master (preload on: exit 4)", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("crash_on_import.ts"), "-w", "2"],
    waitReady: false,
  });
  assertEquals((await herd.waitForExit()).code, 4);
  await herd.waitForLog(/^error: .*Fixture crashed on import/);
  assertEquals(herd.lines.filter((l) => l.includes("Booting worker")).length, 0);
});

Deno.test("serve and check: an app that throws on import shows its stack only at log_level debug", async () => {
  const app = fixtureApp("crash_on_import.ts");
  for (const command of [["serve"], ["check"]]) {
    const quiet = await runHerd([...command, app, "--port", "0"]);
    assertEquals(quiet.code, 4, `${command}: ${quiet.stderr}`);
    assertEquals(quiet.stderr.split("\n").length, 1, quiet.stderr);
    const debug = await runHerd([...command, app, "--port", "0", "--log-level", "debug"]);
    assert(/at file:\/\/.*crash_on_import\.ts:\d+:\d+/.test(debug.stderr), debug.stderr);
    assert(debug.stderr.split("\n").at(-1)!.startsWith("error: "), debug.stderr);
  }
});

Deno.test("serve: a HUP that reaches the preload probe (a hangup of the process group) does not fail the start", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("slow_import.ts"), "-w", "1"],
    waitReady: false,
  });
  let probe: number[] = [];
  await until(
    () => (probe = childPids(herd.masterPid, "import_probe")).length === 1,
    5000,
    "probe",
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  Deno.kill(probe[0], "SIGHUP");
  await herd.waitForLog(/Ready: 1 worker listening/, { timeoutMs: 10_000 });
  assertEquals(await fetch(herd.url).then((r) => r.text()), "loaded\n");
});

Deno.test("serve: preload runs the app's code in a throwaway worker-like process, never in the master", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-preload-" });
  try {
    // A timer the app starts at import, which throws later: in the master, it ended the service.
    // And a write at import, which the master's -A allowed and the workers' permissions do not.
    await Deno.writeTextFile(
      `${dir}/late.ts`,
      'setTimeout(() => { throw new Error("late timer error from the app"); }, 300);\n' +
        "export default () => new Response('ok');\n",
    );
    await Deno.writeTextFile(
      `${dir}/writes.ts`,
      `Deno.writeTextFileSync(${JSON.stringify(`${dir}/written`)}, "at import");\n` +
        "export default () => new Response('ok');\n",
    );
    await Deno.writeTextFile(`${dir}/exits.ts`, "Deno.exit(0);\nexport default () => 0;\n");
    {
      await using herd = await startHerd({ args: [`${dir}/late.ts`, "-w", "1"] });
      await herd.waitForLog(/late timer error from the app/);
      await new Promise((r) => setTimeout(r, 800));
      // Still the master's to stop: a throw in the master itself ended it with code 1 at once.
      herd.kill("SIGTERM");
      assertEquals((await herd.waitForExit()).code, 0);
    }
    for (
      const [app, line] of [
        ["writes.ts", /^error: Cannot import app ".*writes\.ts": Requires write access/],
        ["exits.ts", /^error: The app ended the process while loading \(exit code 0\)/],
      ] as const
    ) {
      await using herd = await startHerd({ args: [`${dir}/${app}`, "-w", "1"], waitReady: false });
      assertEquals((await herd.waitForExit()).code, 4, app);
      await herd.waitForLog(line);
    }
    assertEquals(await Deno.stat(`${dir}/written`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a worker boot failure stops the master (preload off: exit 3)", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("crash_on_import.ts"), "-w", "2", "--no-preload"],
    waitReady: false,
  });
  assertEquals((await herd.waitForExit()).code, 3);
  await herd.waitForLog(/failed to boot: .*Fixture crashed on import/);
  assert(herd.lines.filter((l) => l.includes("Booting worker")).length <= 2, "no fork loop");
});

Deno.test("serve: with the error log in a file, a failed start still says why on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-failed-start-" });
  const log = `${dir}/error.log`;
  const app = fixtureApp("crash_on_import.ts");
  const { code, stderr } = await runHerd(
    ["serve", app, "-p", "0", "-w", "1", "--no-preload", "--error-log", log],
  );
  assertEquals(code, 3, stderr);
  assertMatch(
    stderr,
    new RegExp(
      `^error: Worker 1 \\(pid: \\d+\\) failed to boot: .*Fixture crashed on import.* \\(the error log "${log}" has the rest\\)$`,
    ),
  );
  assertMatch(await Deno.readTextFile(log), /\[ERROR\] Worker 1 .* failed to boot/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve: a parameterless app is told about keep-alive once, not per worker or recycle", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-request-free-" });
  const app = `${dir}/app.ts`;
  await Deno.writeTextFile(app, 'export default { fetch: () => new Response("hi") };\n');
  await using herd = await startHerd({
    args: [app, "--workers", "2", "--max-requests", "20", "--access-log="],
  });
  const count = (re: RegExp) => herd.lines.filter((l) => re.test(l)).length;
  const recycled = /exited with code 0 \(reason: max_requests\)/;
  const listening = /Worker \d \(pid: \d+\) listening/;
  const deadline = Date.now() + 10_000;
  while (count(recycled) < 2 && Date.now() < deadline) {
    try {
      const res = await fetch(herd.url, { headers: { connection: "close" } });
      assertEquals(res.headers.get("keep-alive"), null, "no hint without connection info");
      await res.body?.cancel();
    } catch {
      // A connection caught by a recycle: not what this test is about.
    }
  }
  // Every replacement has reported listening, so each had its chance to repeat the notice.
  while (count(listening) < 2 + count(recycled) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert(count(recycled) >= 2 && count(listening) >= 4, herd.lines.join("\n"));
  const notices = herd.lines.filter((l) => l.includes("The app takes no request"));
  assertEquals(notices.length, 1, herd.lines.join("\n"));
  // The exit line says what the worker served in all: at least its max_requests.
  const served = herd.lines.map((l) => / \(reason: max_requests\), (\d+) requests served$/.exec(l))
    .filter((m) => m !== null).map((m) => Number(m![1]));
  assert(served.length >= 2 && served.every((n) => n >= 20), herd.lines.join("\n"));
});

Deno.test("serve: a control socket in an existing directory leaves the directory's mode alone", async () => {
  const shared = await Deno.makeTempDir({ prefix: "herd-shared-" });
  await Deno.chmod(shared, 0o1777);
  try {
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--control-socket", `${shared}/c.sock`],
    });
    assertEquals((await Deno.stat(shared)).mode! & 0o7777, 0o1777);
    assertEquals((await Deno.stat(`${shared}/c.sock`)).mode! & 0o777, 0o600);
    await herd.stop();
  } finally {
    await Deno.remove(shared, { recursive: true });
  }
});

Deno.test("serve: a pidfile or control socket that cannot be made is one line naming it, exit 2", async () => {
  for (const [flag, what] of [["--pidfile", "pidfile"], ["--control-socket", "control socket"]]) {
    const { code, stderr } = await runHerd(
      ["serve", fixtureApp("hello.ts"), "-p", "19098", flag, "/dev/null/x"],
    );
    assertEquals(code, 2, stderr);
    assertEquals(stderr.split("\n").length, 1, stderr);
    assert(stderr.startsWith(`error: Cannot `) && stderr.includes(`${what} "/dev/null/x"`), stderr);
  }
});

Deno.test("serve and check: a unix bind in a missing directory is exit 5 for both", async () => {
  const base = await Deno.makeTempDir({ prefix: "herd-unix-bind-" });
  for (const command of ["serve", "check"]) {
    const { code, stderr } = await runHerd([command, "-b", `unix:${base}/missing/x.sock`]);
    assertEquals(code, 5, `${command}: ${stderr}`);
    assert(stderr.includes(`no directory "${base}/missing"`), stderr);
  }
  await Deno.remove(base);
});

Deno.test("serve and check: a control socket makes its own directory, not a path of them", async () => {
  const base = await Deno.makeTempDir({ prefix: "herd-control-dir-" });
  const deep = `${base}/missing/run/c.sock`;
  for (const command of ["serve", "check"]) {
    const { code, stderr } = await runHerd([command, "-p", "0", "--control-socket", deep]);
    assertEquals(code, 2, stderr);
    assert(stderr.includes(`no directory "${base}/missing"`), stderr);
  }
  assertEquals([...Deno.readDirSync(base)], [], "nothing was made");
});

Deno.test("serve: a control socket path that is a regular file is refused, and the file kept", async () => {
  const dir = await Deno.makeTempDir();
  const victim = `${dir}/notes.txt`;
  await Deno.writeTextFile(victim, "keep me\n");
  try {
    const { code, stderr } = await runHerd(
      ["serve", fixtureApp("hello.ts"), "-p", "19097", "--control-socket", victim],
    );
    assertEquals(code, 2, stderr);
    assertEquals(
      stderr,
      `error: Cannot open the control socket "${victim}" (control_socket): "${victim}" is taken by a file that is not a socket`,
    );
    assertEquals(await Deno.readTextFile(victim), "keep me\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a pidfile that names a running master is refused; a stale one is taken over", async () => {
  const dir = await Deno.makeTempDir();
  const pidfile = `${dir}/herd.pid`;
  try {
    await using first = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--pidfile", pidfile],
    });
    const second = await runHerd([
      "serve",
      fixtureApp("hello.ts"),
      "-p",
      "19096",
      "--pidfile",
      pidfile,
    ]);
    assertEquals(second.code, 2, second.stderr);
    assertEquals(
      second.stderr,
      `error: Cannot write the pidfile "${pidfile}" (pidfile): it names process ${first.masterPid}, which is running`,
    );
    assertEquals(await Deno.readTextFile(pidfile), `${first.masterPid}\n`);
    await first.stop();
    // Left by a master that died by SIGKILL: no such process now.
    await Deno.writeTextFile(pidfile, "4194303\n");
    {
      await using third = await startHerd({
        args: [fixtureApp("hello.ts"), "-w", "1", "--pidfile", pidfile],
      });
      assertEquals(await Deno.readTextFile(pidfile), `${third.masterPid}\n`);
    }
    // Its pid given since to another program (a reboot, a new container): stale too.
    const other = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      await Deno.writeTextFile(pidfile, `${other.pid}\n`);
      await using fourth = await startHerd({
        args: [fixtureApp("hello.ts"), "-w", "1", "--pidfile", pidfile],
      });
      assertEquals(await Deno.readTextFile(pidfile), `${fourth.masterPid}\n`);
    } finally {
      other.kill();
      await other.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a configuration warning is printed once when the error log is stderr", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1"],
    env: { HERD_WORKRS: "2" },
  });
  const warned = herd.lines.filter((l) => l.includes('Unknown variable "HERD_WORKRS"'));
  assertEquals(warned.length, 1, warned.join("\n"));
});

Deno.test("serve: a unix: bind in a directory that does not exist is refused with exit 5", async () => {
  const { code, stderr } = await runHerd(
    ["serve", fixtureApp("hello.ts"), "-w", "1", "--bind", "unix:/nonexistent-herd-dir/s.sock"],
  );
  assertEquals(code, 5, stderr);
  assertEquals(
    stderr.split("\n").at(-1),
    'error: Cannot listen on unix:/nonexistent-herd-dir/s.sock: no directory "/nonexistent-herd-dir" ' +
      '("bind" from --bind (command line))',
  );
});

Deno.test("serve and check agree: too long a socket path, a file at a unix bind; a held pidfile is a note to check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-agree-" });
  const long = `${dir}/${"x".repeat(110)}`;
  await Deno.writeTextFile(`${dir}/notes.txt`, "keep me\n");
  // This test runs on the same deno: to the pidfile check it may be a running master.
  await Deno.writeTextFile(`${dir}/herd.pid`, `${Deno.pid}\n`);
  const cases: [string[], number, RegExp][] = [
    [
      ["-b", `unix:${long}.sock`],
      5,
      /too long for a socket: with the "\.new" Herd adds, \d+ bytes \(at most 107\)/,
    ],
    [
      ["-b", `unix:${dir}/notes.txt`],
      5,
      /Address unix:.*notes\.txt is taken by a file that is not a socket/,
    ],
    [
      ["-p", "0", "--control-socket", `${long}/c.sock`],
      2,
      /too long for a socket: with the "\.(<pid>|oldbin)" Herd adds/,
    ],
  ];
  try {
    for (const [args, code, said] of cases) {
      for (const command of ["check", "serve"]) {
        const run = await runHerd([command, ...args]);
        assertEquals(run.code, code, `${command} ${args.join(" ")}: ${run.stderr}`);
        assertMatch(run.stderr, said);
      }
    }
    // A pidfile a running master holds: serve refuses it; check, which also runs beside the
    // Herd it is about to replace, notes it.
    const held = ["-p", "0", "--pidfile", `${dir}/herd.pid`];
    const refused = await runHerd(["serve", ...held]);
    assertEquals(refused.code, 2, refused.stderr);
    assertMatch(refused.stderr, new RegExp(`names process ${Deno.pid}, which is running`));
    const noted = await runHerd(["check", ...held]);
    assertEquals(noted.code, 0, noted.stderr);
    assertMatch(noted.stderr, new RegExp(`^note: .*names process ${Deno.pid}, which is running`));
    // A unix bind another program answers on (no Herd master): refused by both.
    using live = Deno.listen({ transport: "unix", path: `${dir}/live.sock` });
    for (const command of ["check", "serve"]) {
      const busy = await runHerd([command, "-b", `unix:${dir}/live.sock`]);
      assertEquals(busy.code, 5, busy.stderr);
      assertMatch(
        busy.stderr,
        /error: Address unix:.*live\.sock is already in use \("bind" from -b \(command line\)\)/,
      );
    }
    live.close();
    assertEquals(await Deno.readTextFile(`${dir}/notes.txt`), "keep me\n");
    assertEquals([...Deno.readDirSync(dir)].length, 2, "nothing made (the live socket is gone)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a start that fails leaves no empty log file or directory it made", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-failed-logs-" });
  try {
    const { code, stderr } = await runHerd([
      "serve",
      fixtureApp("crash_on_import.ts"),
      "-p",
      "0",
      "--access-log",
      `${dir}/new/sub/access.log`,
      "--error-log",
      `${dir}/logs/error.log`,
    ]);
    assertEquals(code, 4, stderr);
    // The error log says why: kept, with its directory; the empty access log goes.
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["logs"]);
    assertMatch(
      await Deno.readTextFile(`${dir}/logs/error.log`),
      /\[ERROR\] Cannot import app .*Fixture crashed on import\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
