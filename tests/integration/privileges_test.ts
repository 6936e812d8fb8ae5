/**
 * Least privilege end to end: workers dropped to `nobody`, the control
 * socket out of reach of other users, the production refusal of root
 * workers, and narrowed worker permissions serving an app that reads a
 * file beside it.
 *
 * Workers that run as another user must be able to execute deno and read
 * its cache, and this machine's deno lives under /root (0700); so these
 * tests run the master with a hard link of the binary in a world-readable
 * directory and a DENO_DIR there, as a deployment would install them.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, MAIN, startHerd } from "./_harness.ts";
import { inspectorPortOpen, SIGUSR1_BIT, threadSignalMasks } from "../sigusr1.ts";

const SHARED = "/tmp/herd-test-shared-deno";
const NOBODY = 65534;

/** A deno binary and a module cache that `nobody` can use. */
async function sharedDeno(): Promise<{ deno: string; env: Record<string, string> }> {
  const deno = `${SHARED}/deno`;
  const env = { DENO_DIR: `${SHARED}/cache`, HOME: SHARED };
  await Deno.mkdir(`${SHARED}/cache`, { recursive: true, mode: 0o755 });
  await Deno.chmod(SHARED, 0o755);
  if (!(await Deno.stat(deno).catch(() => null))) {
    await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
  }
  const cached = await new Deno.Command(deno, {
    args: ["cache", MAIN, fixtureApp("hello.ts")],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert(cached.success, new TextDecoder().decode(cached.stderr));
  await new Deno.Command("chmod", { args: ["-R", "a+rX", SHARED] }).output();
  return { deno, env };
}

/**
 * Runs `main.ts <args>` as nobody with the shared deno, in `cwd`, `env` added to its own
 * (`NO_COLOR` set): its exit code and stderr.
 */
async function runAsNobody(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<[number, string]> {
  const { deno, env } = await sharedDeno();
  const out = await new Deno.Command(deno, {
    args: ["run", "-A", MAIN, ...args],
    env: { ...env, NO_COLOR: "1", ...options.env },
    cwd: options.cwd,
    uid: NOBODY,
    gid: NOBODY,
    stdout: "null",
    stderr: "piped",
  }).output();
  return [out.code, new TextDecoder().decode(out.stderr)];
}

function uidOf(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

Deno.test({
  name: "privileges: workers run as nobody; status as another user is refused",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const { deno, env } = await sharedDeno();
    const control = `/tmp/herd-priv-${crypto.randomUUID().slice(0, 8)}/control.sock`;
    await using herd = await startHerd({
      deno,
      env,
      cwd: SHARED,
      args: [fixtureApp("hello.ts"), "-w", "2", "--user", "nobody", "--control-socket", control],
    });
    const workers = herd.workerPids();
    assertEquals(workers.length, 2);
    for (const pid of workers) assertEquals(uidOf(pid), NOBODY, `worker ${pid} runs as nobody`);
    assertEquals(uidOf(herd.masterPid), 0);
    const response = await fetch(herd.url);
    assertEquals(response.status, 200);
    await response.body?.cancel();

    const info = await Deno.stat(control);
    assertEquals(info.uid, 0, "the master owns the socket");
    assertEquals(info.mode! & 0o777, 0o660, "owner and the workers' group only");
    const status = (uid?: number) =>
      new Deno.Command(deno, {
        args: ["run", "-A", MAIN, "status", "--control-socket", control],
        env: { ...env, NO_COLOR: "1" },
        cwd: SHARED,
        ...(uid === undefined ? {} : { uid, gid: uid }),
      }).output();
    const asRoot = await status();
    assertEquals(asRoot.code, 0, new TextDecoder().decode(asRoot.stderr));
    const asOther = await status(4242);
    assertEquals(asOther.code, 1);
    assertMatch(
      new TextDecoder().decode(asOther.stderr),
      /^error: Permission denied on the control socket ".*control\.sock": run this as the user that started the master/m,
    );
  },
});

Deno.test({
  name: "privileges: masters of one user never change each other's control directory",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const { deno, env: shared } = await sharedDeno();
    // The derived control path, in a runtime directory of this test's own (nobody enters it).
    const runtime = await Deno.makeTempDir({ prefix: "herd-runtime-" });
    await Deno.chmod(runtime, 0o755);
    const env = { ...shared, XDG_RUNTIME_DIR: runtime };
    try {
      await using dropped = await startHerd({
        deno,
        env,
        cwd: SHARED,
        args: [fixtureApp("hello.ts"), "-w", "1", "--user", "nobody"],
      });
      // A second master, without a worker user, started after the first.
      await using plain = await startHerd({
        deno,
        env,
        cwd: SHARED,
        args: [fixtureApp("hello.ts"), "-w", "1"],
      });
      const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;
      assertEquals(await mode(`${runtime}/herd-0`), 0o711, "passable, not listable");
      assertEquals(await mode(`${runtime}/herd-0/127.0.0.1_${dropped.port}`), 0o710);
      assertEquals(await mode(`${runtime}/herd-0/127.0.0.1_${plain.port}`), 0o700);
      // The first master's replacement worker, as nobody, still reaches its master.
      const [worker] = dropped.workerPids();
      Deno.kill(worker, "SIGKILL");
      // (Before the fix, the second master made the shared directory 0700: exit 6, crash loop.)
      const from = dropped.lines.length;
      await dropped.waitForLog(/Worker 1 \(pid: \d+\) listening/, { timeoutMs: 20_000, from });
      const response = await fetch(dropped.url);
      assertEquals(response.status, 200);
      await response.body?.cancel();
      assert(!dropped.lines.some((l) => /Permission denied/.test(l)), dropped.lines.join("\n"));
    } finally {
      await Deno.remove(runtime, { recursive: true });
    }
  },
});

Deno.test({
  name: "privileges: after reopen-logs, workers run as nobody still write the access log",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const { deno, env } = await sharedDeno();
    const dir = await Deno.makeTempDir({ prefix: "herd-rotate-" });
    await Deno.chmod(dir, 0o755);
    const log = `${dir}/access.log`;
    const control = `${dir}/control.sock`;
    try {
      const where = ["--user", "nobody", "--access-log", log, "--control-socket", control];
      await using herd = await startHerd({
        deno,
        env,
        cwd: SHARED,
        args: [fixtureApp("hello.ts"), "-w", "1", ...where],
      });
      const get = async (path: string) =>
        (await (await fetch(new URL(path, herd.url))).text()).length;
      await get("before");
      await Deno.rename(log, `${log}.1`); // as logrotate does
      const reopen = await new Deno.Command(deno, {
        args: ["run", "-A", MAIN, "reopen-logs", ...where],
        env,
        cwd: SHARED,
        stderr: "piped",
      }).output();
      assertEquals(reopen.code, 0, new TextDecoder().decode(reopen.stderr));
      assertEquals((await Deno.stat(log)).uid, NOBODY, "the new file is the workers'");
      await get("after");
      // Lines wait up to 100 ms in the worker's buffer.
      let written = "";
      for (let i = 0; i < 50 && !written.includes("/after"); i++) {
        await new Promise((r) => setTimeout(r, 100));
        written = await Deno.readTextFile(log);
      }
      assertMatch(written, /"GET \/after HTTP/);
      assertMatch(await Deno.readTextFile(`${log}.1`), /"GET \/before HTTP/);
      assert(!herd.lines.some((l) => /Cannot reopen/.test(l)), herd.lines.join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "privileges: a worker user that cannot run deno stops the master with exit 3",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    // Deno in a directory only root can enter: spawning a worker as nobody fails at once.
    const dir = await Deno.makeTempDir({ prefix: "herd-private-" });
    await Deno.chmod(dir, 0o700);
    const deno = `${dir}/deno`;
    await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
    try {
      // preload's throwaway worker finds it first: one line, a setup problem (exit 2).
      {
        await using herd = await startHerd({
          deno,
          args: [fixtureApp("hello.ts"), "-w", "2", "--user", "nobody"],
          waitReady: false,
        });
        assertEquals((await herd.waitForExit(15_000)).code, 2, herd.lines.join("\n"));
        await herd.waitForLog(
          new RegExp(
            `^error: A worker cannot start as user "nobody": cannot run "${deno}" in ".*": Permission denied$`,
          ),
        );
      }
      await using herd = await startHerd({
        deno,
        args: [fixtureApp("hello.ts"), "-w", "2", "--user", "nobody", "--no-preload"],
        waitReady: false,
      });
      assertEquals((await herd.waitForExit(15_000)).code, 3, herd.lines.join("\n"));
      await herd.waitForLog(/\[ERROR\] Cannot start worker 1: .*Permission denied/);
      assert(!herd.lines.some((l) => /Cannot start worker 2/.test(l)), "no second attempt");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("privileges: production refuses root workers with the fix, allow_root overrides", async () => {
  const production = [fixtureApp("hello.ts"), "-w", "1", "--env", "production", "--error-log", "-"];
  {
    await using herd = await startHerd({ args: production, waitReady: false });
    assertEquals((await herd.waitForExit()).code, 2);
    await herd.waitForLog(
      /^error: Refusing to run workers as root in production: set HERD_USER \(or --user\).*HERD_ALLOW_ROOT=1 \(--allow-root\)$/,
    );
  }
  await using herd = await startHerd({ args: [...production, "--allow-root"] });
  const response = await fetch(herd.url);
  assertEquals(response.status, 200);
  await response.body?.cancel();
});

Deno.test("privileges: narrowed workers serve an app reading a file beside it, nothing else", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-perm-app-" });
  await Deno.writeTextFile(`${dir}/data.txt`, "beside the app\n");
  await Deno.writeTextFile(
    `${dir}/app.ts`,
    `export default {
  async fetch(req: Request) {
    const path = new URL(req.url).pathname === "/passwd" ? "/etc/passwd" : new URL("./data.txt", import.meta.url);
    try {
      return new Response(await Deno.readTextFile(path));
    } catch (error) {
      return new Response(String(error), { status: 403 });
    }
  },
};
`,
  );
  await using herd = await startHerd({ args: [`${dir}/app.ts`, "-w", "1"] });
  const beside = await fetch(herd.url);
  assertEquals(await beside.text(), "beside the app\n");
  const outside = await fetch(`${herd.url}/passwd`);
  assertEquals(outside.status, 403);
  assertMatch(await outside.text(), /NotCapable: Requires read access to "\/etc\/passwd"/);
  const [worker] = herd.workerPids();
  const cmdline = Deno.readTextFileSync(`/proc/${worker}/cmdline`).split("\0");
  assert(!cmdline.includes("-A"), cmdline.join(" "));
  assert(
    cmdline.some((a) => a.startsWith(`--allow-net=127.0.0.1:${herd.port}`)),
    cmdline.join(" "),
  );
});

Deno.test("privileges: worker_permissions=all gives the workers -A again", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--worker-permissions=all"],
  });
  const [worker] = herd.workerPids();
  const cmdline = Deno.readTextFileSync(`/proc/${worker}/cmdline`).split("\0");
  assert(cmdline.includes("-A"), cmdline.join(" "));
});

const FFI_PROBE_APP = `export default {
  fetch() {
    try {
      Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }).close();
      return new Response("ffi: ok");
    } catch (error) {
      return new Response(\`ffi: \${(error as Error).name}\`);
    }
  },
};
`;

Deno.test("privileges: a sandboxed worker's app has no FFI, and SIGUSR1 opens no inspector", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-ffi-app-" });
  await Deno.writeTextFile(`${dir}/app.ts`, FFI_PROBE_APP);
  const inspectorBefore = await inspectorPortOpen();
  {
    await using herd = await startHerd({ args: [`${dir}/app.ts`, "-w", "1"] });
    assertEquals(await (await fetch(herd.url)).text(), "ffi: NotCapable");
    // Deno installs its SIGUSR1 handler ~500 ms after start: signal after that.
    await new Promise((r) => setTimeout(r, 1500));
    const [worker] = herd.workerPids();
    const masks = threadSignalMasks(worker);
    assert(masks.length > 1, `threads: ${masks.length}`);
    for (const mask of masks) {
      assertEquals(mask & SIGUSR1_BIT, SIGUSR1_BIT, `a worker thread accepts SIGUSR1: ${mask}`);
    }
    Deno.kill(worker, "SIGUSR1");
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(herd.workerPids(), [worker], "the worker survived SIGUSR1");
    if (!inspectorBefore) assert(!(await inspectorPortOpen()), "an inspector opened on 9229");
    assertEquals(await (await fetch(herd.url)).text(), "ffi: NotCapable");
  }
  {
    // Widening another kind without scope (unscoped read) grants no FFI.
    await using herd = await startHerd({
      args: [`${dir}/app.ts`, "-w", "1", "--worker-permissions=--allow-read"],
    });
    assertEquals(await (await fetch(herd.url)).text(), "ffi: NotCapable");
  }
  await using herd = await startHerd({
    args: [`${dir}/app.ts`, "-w", "1", "--worker-permissions=--allow-ffi"],
  });
  assertEquals(await (await fetch(herd.url)).text(), "ffi: ok", "declared FFI is granted");
});

Deno.test("privileges: worker_permissions that Deno refuses stop serve and check with one line", async () => {
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      env: { NO_COLOR: "1", HERD_WORKER_PERMISSIONS: "--allow-env=FOO --allow-sys=umask" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, err: new TextDecoder().decode(out.stderr) };
  };
  // The setting's parser takes the flag's name; what Deno takes after `=` only Deno knows.
  const expected =
    `error: "worker_permissions" from HERD_WORKER_PERMISSIONS (environment) has "--allow-sys=umask", ` +
    `which Deno refuses: unknown sys descriptor: 'umask'\n`;
  const serve = await run(["serve", fixtureApp("hello.ts"), "--port", "0", "-w", "1"]);
  assertEquals([serve.code, serve.err], [2, expected]);
  const check = await run(["check", fixtureApp("hello.ts"), "--port", "0"]);
  assertEquals(check.code, 2);
  assertEquals(check.err.split("\n")[0] + "\n", expected);
});

Deno.test({
  name: "privileges: a log the workers' user cannot reach fails check, and serve in one line",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const { deno, env } = await sharedDeno();
    const dir = await Deno.makeTempDir({ prefix: "herd-private-log-" });
    await Deno.chmod(dir, 0o700); // root's: nobody cannot enter it
    const log = `${dir}/error.log`;
    try {
      const args = [fixtureApp("hello.ts"), "--user", "nobody", "--error-log", log];
      const check = await new Deno.Command(deno, {
        args: ["run", "-A", MAIN, "check", ...args, "--port", "0"],
        env: { ...env, NO_COLOR: "1" },
        cwd: SHARED,
        stderr: "piped",
      }).output();
      assertEquals(check.code, 2);
      assertEquals(
        new TextDecoder().decode(check.stderr),
        `error: A worker cannot open the log file "${log}": no permission to enter a directory ` +
          `on its way (as user "nobody")\n`,
      );
      // serve: preload's throwaway worker says so at once, as check does...
      {
        await using herd = await startHerd({
          deno,
          env,
          cwd: SHARED,
          args: [...args, "-w", "1"],
          waitReady: false,
        });
        assertEquals((await herd.waitForExit(15_000)).code, 2);
        await herd.waitForLog(
          /^error: A worker cannot open the log file ".*error\.log": no permission/,
        );
      }
      // ...and without preload, the worker says which file, as whom (it printed an uncaught
      // stack trace).
      await using herd = await startHerd({
        deno,
        env,
        cwd: SHARED,
        args: [...args, "-w", "1", "--no-preload"],
        waitReady: false,
      });
      assertEquals((await herd.waitForExit(15_000)).code, 3);
      const text = await Deno.readTextFile(log);
      assertMatch(
        text,
        /failed to boot: Cannot open the error log ".*error\.log" as user "nobody": Permission denied/,
      );
      assert(!/Uncaught/.test(herd.lines.join("\n") + text), herd.lines.join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "privileges: check refuses a control socket or pidfile its user cannot make, as serve does",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    // Root's directories, the server run as another user.
    const dir = await Deno.makeTempDir({ prefix: "herd-ro-run-" });
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(`${dir}/run`, { mode: 0o755 });
    // Port 0: serve looks at no address before the control socket and the pidfile.
    const run = (command: string, args: string[]) =>
      runAsNobody([command, fixtureApp("hello.ts"), "--port", "0", ...args], { cwd: SHARED });
    try {
      const cases: [string[], string][] = [
        [
          ["--control-socket", `${dir}/run/c.sock`],
          `error: Cannot open the control socket "${dir}/run/c.sock" (control_socket): ` +
          "Permission denied\n",
        ],
        [
          ["--control-socket", `${dir}/new/c.sock`],
          `error: Cannot open the control socket "${dir}/new/c.sock" (control_socket): ` +
          "Permission denied\n",
        ],
        [
          ["--pidfile", `${dir}/run/herd.pid`],
          `error: Cannot write the pidfile "${dir}/run/herd.pid" (pidfile): Permission denied\n`,
        ],
      ];
      for (const [args, said] of cases) {
        assertEquals(await run("check", args), [2, said]);
        assertEquals(await run("serve", args), [2, said]);
      }
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["run"]);
      assertEquals([...Deno.readDirSync(`${dir}/run`)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "privileges: check refuses log files its user cannot make or open, as serve does, making nothing",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    // A container's working directory owned by root, the server run as another user.
    const dir = await Deno.makeTempDir({ prefix: "herd-ro-cwd-" });
    await Deno.chmod(dir, 0o755);
    const run = (command: string) =>
      runAsNobody([command, "--port", "0", "-w", "1"], {
        cwd: dir,
        env: { HERD_ENV: "production" },
      });
    try {
      const cannotMake = [
        2,
        'error: Cannot create log directory "logs": Permission denied ("error_log" by default)\n',
      ];
      assertEquals(await run("check"), cannotMake);
      assertEquals(await run("serve"), cannotMake);
      assertEquals([...Deno.readDirSync(dir)], [], "check made nothing, left nothing");
      await Deno.mkdir(`${dir}/logs`);
      await Deno.writeTextFile(`${dir}/logs/error.log`, "");
      const cannotOpen = [
        2,
        'error: Cannot open log file "logs/error.log": Permission denied ("error_log" by default)\n',
      ];
      assertEquals(await run("check"), cannotOpen);
      assertEquals(await run("serve"), cannotOpen);
      assertEquals([...Deno.readDirSync(`${dir}/logs`)].map((e) => e.name), ["error.log"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
