/**
 * `check` says what `serve` would say, and exits with the code `serve` stops
 * with: both are run on the same inputs (each in a directory of its own,
 * with a timeout, killed by pid), and neither may leave anything behind.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, freePort, MAIN, startHerd } from "./_harness.ts";

// serve fails before it listens in every case here; the port is free when the test starts.
const PORT = String(freePort());

interface Run {
  code: number;
  stderr: string;
}

/**
 * Runs `main.ts <command> ...args` in `cwd` with `env` (`wrap`: a command line to run it under,
 * such as unshare), SIGKILLed by pid after `timeoutMs`.
 */
async function herd(
  command: "check" | "serve",
  args: string[],
  options: { cwd: string; env?: Record<string, string>; wrap?: string[]; timeoutMs?: number },
): Promise<Run> {
  const line = [Deno.execPath(), "run", "-A", MAIN, command, ...args];
  const [program, ...rest] = [...(options.wrap ?? []), ...line];
  const child = new Deno.Command(program, {
    args: rest,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }, options.timeoutMs ?? 30_000);
  try {
    const output = await child.output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr).trim() };
  } finally {
    clearTimeout(timer);
  }
}

/** Both commands on the same inputs: the same exit code, and `said` in both. */
async function assertAgree(
  args: string[],
  expected: { code: number; said: RegExp },
  options: { cwd: string; env?: Record<string, string>; wrap?: string[] },
): Promise<void> {
  for (const command of ["check", "serve"] as const) {
    const run = await herd(command, args, options);
    const what = `${command} ${args.join(" ")}: ${run.stderr}`;
    assertEquals(run.code, expected.code, what);
    assertMatch(run.stderr, expected.said, what);
  }
}

function entries(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

const IS_ROOT = Deno.uid() === 0;
const UNSHARE = IS_ROOT &&
  await new Deno.Command("unshare", { args: ["-m", "true"], stderr: "null" }).output()
    .then((o) => o.success, () => false);

Deno.test("check and serve agree on a control socket or pidfile they cannot make; check makes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-agree-control-" });
  const app = fixtureApp("hello.ts");
  const options = { cwd: dir };
  const opened = (path: string, reason: string) =>
    new RegExp(
      `error: Cannot open the control socket "${path}" \\(control_socket\\): ${reason}$`,
    );
  try {
    await Deno.writeTextFile(`${dir}/notes.txt`, "keep me\n");
    const cases: [string, RegExp][] = [
      // In a file: its directory cannot be made.
      [`${dir}/notes.txt/c.sock`, opened(`${dir}/notes.txt/c.sock`, "Not a directory")],
      // A file where the socket goes.
      [
        `${dir}/notes.txt`,
        opened(`${dir}/notes.txt`, `"${dir}/notes.txt" is taken by a file that is not a socket`),
      ],
      // serve makes the socket's directory, not the ones above it.
      [
        `${dir}/missing/run/c.sock`,
        opened(
          `${dir}/missing/run/c.sock`,
          `no directory "${dir}/missing" to make "${dir}/missing/run" in`,
        ),
      ],
    ];
    for (const [path, said] of cases) {
      await assertAgree([app, "-p", PORT, "--control-socket", path], { code: 2, said }, options);
    }
    // And the pidfile, which serve writes last, making no directory for it.
    const written = (path: string, reason: string) =>
      new RegExp(`error: Cannot write the pidfile "${path}" \\(pidfile\\): ${reason}$`);
    await Deno.mkdir(`${dir}/run`);
    const pidfiles: [string, RegExp][] = [
      [`${dir}/notes.txt/herd.pid`, written(`${dir}/notes.txt/herd.pid`, "Not a directory")],
      [
        `${dir}/missing/herd.pid`,
        written(`${dir}/missing/herd.pid`, `no directory "${dir}/missing"`),
      ],
      [`${dir}/run`, written(`${dir}/run`, "Is a directory")],
    ];
    for (const [path, said] of pidfiles) {
      await assertAgree([app, "-p", PORT, "--pidfile", path], { code: 2, said }, options);
    }
    assertEquals(await Deno.readTextFile(`${dir}/notes.txt`), "keep me\n");
    assertEquals(entries(dir), ["notes.txt", "run"], "nothing made, nothing left");
    assertEquals(entries(`${dir}/run`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "check and serve agree on a derived control directory of another user's, or read-only; on a read-only pidfile",
  ignore: !IS_ROOT,
  fn: async () => {
    const runtime = await Deno.makeTempDir({ prefix: "herd-agree-runtime-" });
    const app = fixtureApp("hello.ts");
    const derived = `${runtime}/herd-0/127.0.0.1_${PORT}/control.sock`;
    try {
      // herd-<uid> planted by another user: serve refuses it, and check says so in its words.
      await Deno.mkdir(`${runtime}/herd-0`, { mode: 0o755 });
      await Deno.chown(`${runtime}/herd-0`, 65534, 65534);
      await assertAgree(["-p", PORT, app], {
        code: 2,
        said: new RegExp(
          `error: Cannot open the control socket "${derived}" \\(control_socket\\): ` +
            `"${runtime}/herd-0" is not a directory of this user's own \\(owned by uid 65534\\): ` +
            "remove it, or set control_socket$",
        ),
      }, { cwd: runtime, env: { XDG_RUNTIME_DIR: runtime } });
      assertEquals(entries(`${runtime}/herd-0`), [], "nothing made in it");
      await Deno.remove(`${runtime}/herd-0`);
      if (!UNSHARE) return;
      // A read-only file system (a bind mount of this directory, in a mount namespace of the
      // two runs' own): herd-<uid> cannot be made, nor a configured socket's directory.
      const readOnly = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"'];
      const wrap = [...readOnly, runtime];
      await assertAgree(["-p", PORT, app], {
        code: 2,
        said:
          /error: Cannot open the control socket ".*" \(control_socket\): Read-only file system$/,
      }, { cwd: "/", env: { XDG_RUNTIME_DIR: runtime }, wrap });
      await assertAgree(["-p", PORT, app, "--control-socket", `${runtime}/run/c.sock`], {
        code: 2,
        said:
          /error: Cannot open the control socket ".*c\.sock" \(control_socket\): Read-only file system$/,
      }, { cwd: "/", wrap });
      await assertAgree(["-p", PORT, app, "--pidfile", `${runtime}/herd.pid`], {
        code: 2,
        said: /error: Cannot write the pidfile ".*herd\.pid" \(pidfile\): Read-only file system$/,
      }, { cwd: "/", env: { XDG_RUNTIME_DIR: "/tmp" }, wrap });
      assertEquals(entries(runtime), []);
    } finally {
      await Deno.remove(runtime, { recursive: true });
    }
  },
});

Deno.test("check notes a control socket another master answers on; serve refuses it (exit 5)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-agree-live-" });
  const path = `${dir}/c.sock`;
  try {
    using live = Deno.listen({ transport: "unix", path });
    const args = [fixtureApp("hello.ts"), "-p", PORT, "--control-socket", path];
    const serve = await herd("serve", args, { cwd: dir });
    assertEquals(serve.code, 5, serve.stderr);
    assertMatch(
      serve.stderr,
      /error: Control socket ".*c\.sock" is in use: something answers there/,
    );
    const check = await herd("check", args, { cwd: dir });
    assertEquals(check.code, 0, check.stderr);
    assertMatch(
      check.stderr,
      /^note: Control socket ".*c\.sock" is in use: .*; serve refuses to start while it is$/,
    );
    live.close();
    assert(entries(dir).length === 0, entries(dir).join(", "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check notes an address a running Herd master holds, but refuses another program's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-agree-held-" });
  try {
    const runningMetrics = `127.0.0.1:${freePort()}`;
    await using running = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--metrics-bind", runningMetrics],
    });
    const args = [fixtureApp("hello.ts"), "--host", "127.0.0.1", "-p", String(running.port)];
    const check = await herd("check", args, { cwd: dir });
    assertEquals(check.code, 0, check.stderr);
    // (Then its control socket, also the running master's.)
    assertMatch(
      check.stderr.split("\n")[0],
      /^note: Address 127\.0\.0\.1:\d+ is already in use \("port" from -p \(command line\)\); serve refuses to start while it is$/,
    );
    const serve = await herd("serve", args, { cwd: dir });
    assertEquals(serve.code, 5, serve.stderr);
    // The same master, named by another host for its port: still the running Herd's.
    const anyHost = [fixtureApp("hello.ts"), "--host", "0.0.0.0", "-p", String(running.port)];
    const noted = await herd("check", anyHost, { cwd: dir });
    assertEquals(noted.code, 0, noted.stderr);
    assertMatch(noted.stderr, /^note: Address 0\.0\.0\.0:\d+ is already in use /);
    // Another service that shares the running master's port (binds it and one more) is no
    // replacement of it: both refuse it.
    const sharing = [
      fixtureApp("hello.ts"),
      "-b",
      `127.0.0.1:${freePort()}`,
      "-b",
      `127.0.0.1:${running.port}`,
    ];
    const refused = await herd("check", sharing, { cwd: dir });
    assertEquals(refused.code, 5, refused.stderr);
    assertMatch(refused.stderr, /^error: Address 127\.0\.0\.1:\d+ is already in use /m);
    // Its metrics port, too, is the running master's: a note.
    const withMetrics = await herd("check", [...args, "--metrics-bind", runningMetrics], {
      cwd: dir,
    });
    assertEquals(withMetrics.code, 0, withMetrics.stderr);
    assertMatch(withMetrics.stderr, /^note: Address .* \("metrics_bind" from --metrics-bind/m);
    // A metrics port another program holds, beside the running master: both refuse it.
    using scraped = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const metricsArgs = [
      ...args,
      "--metrics-bind",
      `127.0.0.1:${(scraped.addr as Deno.NetAddr).port}`,
    ];
    for (const command of ["check", "serve"] as const) {
      const run = await herd(command, metricsArgs, { cwd: dir });
      assertEquals(run.code, 5, `${command}: ${run.stderr}`);
    }
    // The same port held by a program that is no Herd master: both refuse it.
    using other = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String((other.addr as Deno.NetAddr).port);
    const otherArgs = [fixtureApp("hello.ts"), "--host", "127.0.0.1", "-p", port];
    for (const command of ["check", "serve"] as const) {
      const run = await herd(command, otherArgs, { cwd: dir });
      assertEquals(run.code, 5, `${command}: ${run.stderr}`);
      assertMatch(run.stderr, /^error: Address 127\.0\.0\.1:\d+ is already in use /m);
    }
    assertEquals(entries(dir), [], "nothing made");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check notes the running master's address when the same service adds a bind, as before a USR2", async () => {
  const service = await Deno.makeTempDir({ prefix: "herd-agree-service-" });
  const elsewhere = await Deno.makeTempDir({ prefix: "herd-agree-other-" });
  try {
    const held = `127.0.0.1:${freePort()}`;
    await using _running = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "-b", held],
      cwd: service,
    });
    // The same service (same program, run from the same directory, no config.ts) with one more
    // bind: a USR2 keeps the held address, so check notes it, and checks the new one.
    const added = [fixtureApp("hello.ts"), "-b", held, "-b", `127.0.0.1:${freePort()}`];
    const noted = await herd("check", added, { cwd: service });
    assertEquals(noted.code, 0, noted.stderr);
    assertMatch(noted.stderr, /^note: Address 127\.0\.0\.1:\d+ is already in use \("bind" /);
    // The new bind held by another program: refused, as the upgraded master would refuse it.
    using other = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const taken = [
      fixtureApp("hello.ts"),
      "-b",
      held,
      "-b",
      `127.0.0.1:${(other.addr as Deno.NetAddr).port}`,
    ];
    const refused = await herd("check", taken, { cwd: service });
    assertEquals(refused.code, 5, refused.stderr);
    // Run from another directory, it is another service sharing the port: refused.
    const another = await herd("check", added, { cwd: elsewhere });
    assertEquals(another.code, 5, another.stderr);
    assertMatch(another.stderr, /^error: Address 127\.0\.0\.1:\d+ is already in use /m);
  } finally {
    await Deno.remove(service, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

// Problems that combine: serve stops at the first it meets, so check's exit code is that one's.
// `dir` holds notes.txt (a file where a directory goes); BUSY is a port this test listens on.
const BUSY = String(freePort());
const COMBINED: {
  name: string;
  args: (dir: string) => string[];
  code: number;
  /** check's first error is serve's (false: serve words it otherwise). */
  sameWords?: boolean;
}[] = [
  {
    name: "the app fails to load, the pidfile's directory is missing",
    args: (dir) => [CRASH, "--pidfile", `${dir}/missing/herd.pid`],
    code: 4,
  },
  {
    name: "the app fails to load, the port is in use",
    args: () => [CRASH, "-p", BUSY],
    code: 5,
  },
  {
    name: "the app fails to load, the error log's directory cannot be made",
    args: (dir) => [CRASH, "--error-log", `${dir}/notes.txt/logs/error.log`],
    code: 2,
  },
  {
    name: "the app fails to load, a file is where the control socket goes",
    args: (dir) => [CRASH, "--control-socket", `${dir}/notes.txt`],
    code: 4,
  },
  {
    name: "the app fails to load, a running master holds the pidfile",
    args: (dir) => [CRASH, "--pidfile", `${dir}/held.pid`],
    code: 4,
  },
  {
    name: "the app fails to load, the metrics port is in use",
    args: () => [CRASH, "--metrics-bind", `127.0.0.1:${BUSY}`],
    code: 4,
  },
  {
    name: "without preload, the app fails to load: the first worker fails to boot",
    args: () => [CRASH, "--no-preload"],
    code: 3,
    // serve logs the worker's boot failure.
    sameWords: false,
  },
  {
    name: "without preload, the app fails to load, the pidfile's directory is missing",
    args: (dir) => [CRASH, "--no-preload", "--pidfile", `${dir}/missing/herd.pid`],
    code: 2,
  },
  {
    name: "a TLS pair that cannot be read, an address not of this machine",
    args: (dir) => [
      HELLO,
      "-b",
      `192.0.2.1:${PORT}`,
      "--certfile",
      `${dir}/none.pem`,
      "--keyfile",
      `${dir}/none.key`,
    ],
    code: 2,
  },
  {
    name: "the error log's directory cannot be made, the port is in use",
    args: (dir) => [HELLO, "-p", BUSY, "--error-log", `${dir}/notes.txt/error.log`],
    code: 2,
  },
  {
    name: "the port is in use, the control socket's directory cannot be made",
    args: (dir) => [HELLO, "-p", BUSY, "--control-socket", `${dir}/notes.txt/c.sock`],
    code: 5,
  },
  {
    name: "the metrics port is in use, the pidfile's directory is missing",
    args: (dir) => [
      HELLO,
      "--metrics-bind",
      `127.0.0.1:${BUSY}`,
      "--pidfile",
      `${dir}/missing/herd.pid`,
    ],
    code: 5,
  },
  {
    name: "a worker_permissions flag Herd refuses, the error log's directory cannot be made",
    args: (dir) => [
      HELLO,
      "--worker-permissions=--allow-sys=umask",
      "--error-log",
      `${dir}/notes.txt/error.log`,
    ],
    code: 2,
  },
];
const CRASH = fixtureApp("crash_on_import.ts");
const HELLO = fixtureApp("hello.ts");

Deno.test("check exits with the code serve stops with when problems combine", async (t) => {
  using _busy = Deno.listen({ hostname: "127.0.0.1", port: Number(BUSY) });
  for (const { name, args, code, sameWords = true } of COMBINED) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir({ prefix: "herd-agree-combined-" });
      try {
        await Deno.writeTextFile(`${dir}/notes.txt`, "keep me\n");
        // This test runs on the same deno: to the pidfile check it may be a running master.
        await Deno.writeTextFile(`${dir}/held.pid`, `${Deno.pid}\n`);
        const line = [...args(dir), "-w", "1", ...(args(dir).includes("-p") ? [] : ["-p", PORT])];
        const check = await herd("check", line, { cwd: dir });
        const serve = await herd("serve", line, { cwd: dir });
        const said = `check:\n${check.stderr}\nserve:\n${serve.stderr}`;
        assertEquals([check.code, serve.code], [code, code], said);
        // In the same words: check's first error is the line serve stops with.
        const errors = (run: Run) => run.stderr.split("\n").filter((l) => l.startsWith("error: "));
        if (sameWords) assertEquals(errors(check)[0], errors(serve).at(-1), said);
        // And it waits for an address in use only where serve would reach it and wait.
        const waits = (run: Run) => run.stderr.includes("; checking again in 1 s (1 of 5)");
        assertEquals(waits(check), waits(serve), said);
        assertEquals(entries(dir), ["held.pid", "notes.txt"], "nothing made, nothing left");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("check waits for an address in use as serve does: one freed within the retries passes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-agree-wait-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "check",
      fixtureApp("hello.ts"),
      "--host",
      "127.0.0.1",
      "-p",
      `${port}`,
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let closed = false;
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    lines.push(...chunk.split("\n").filter((l) => l !== ""));
    // Freed as a killed master's workers free it: after check has found it in use.
    if (!closed && lines.some((l) => l.includes("checking again in 1 s (1 of 5), as serve does"))) {
      listener.close();
      closed = true;
    }
  }
  if (!closed) listener.close();
  const status = await child.status;
  assert(closed, lines.join("\n"));
  assertEquals(status.code, 0, lines.join("\n"));
  assertMatch(
    lines[0],
    new RegExp(`^note: Address 127\\.0\\.0\\.1:${port} is already in use; checking again in 1 s`),
  );
  await Deno.remove(dir, { recursive: true });
});
