/**
 * The CLI as users meet it: real `main.ts` processes, each in its own
 * temporary directory with its own config.ts and .env, and a clean
 * environment so that no `HERD_*` variable leaks in from the test runner.
 *
 * Every bad input must give one `error:` line per problem, exit code 2 and
 * no stack trace. `serve` is not exercised here: it starts the master.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { SETTINGS } from "../../src/settings/table.ts";
import { envName, flagName } from "../../src/settings/setting.ts";
import { MAIN } from "./_harness.ts";
import { dirname } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const STACK_LINE = /^\s+at /m;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Scene {
  args: string[];
  /** Files to write into the temporary working directory. */
  files?: Record<string, string>;
  env?: Record<string, string>;
}

/** Runs `main.ts` with `scene.args` in a fresh directory, then removes it. */
async function herd(scene: Scene): Promise<Run> {
  const cwd = await Deno.makeTempDir({ prefix: "herd_cli_" });
  try {
    for (const [name, text] of Object.entries(scene.files ?? {})) {
      await Deno.mkdir(dirname(`${cwd}/${name}`), { recursive: true });
      await Deno.writeTextFile(`${cwd}/${name}`, text);
    }
    const inherited = Object.fromEntries(
      ["PATH", "HOME", "DENO_DIR"].flatMap((k) => {
        const v = Deno.env.get(k);
        return v === undefined ? [] : [[k, v]];
      }),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...scene.args],
      cwd,
      clearEnv: true,
      env: { ...inherited, NO_COLOR: "1", ...scene.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

/** Asserts exit 2 and exactly these `error:` lines, with no stack trace. */
function assertProblems(run: Run, problems: string[]) {
  assertEquals(run.stderr.trimEnd().split("\n"), problems.map((p) => `error: ${p}`));
  assertEquals(run.code, 2);
  assert(!STACK_LINE.test(run.stderr), run.stderr);
}

async function configJson(
  scene: Scene,
): Promise<Record<string, { value: unknown; source: string }>> {
  const run = await herd({ ...scene, args: ["config", "--json", ...scene.args] });
  assertEquals(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

Deno.test("an unknown flag gives one line with a suggestion and exit 2", async () => {
  assertProblems(await herd({ args: ["config", "--wokers", "4"] }), [
    'Unknown flag "--wokers": did you mean --workers?',
  ]);
  // A command's own flag too.
  assertProblems(await herd({ args: ["status", "--jsn"] }), [
    'Unknown flag "--jsn": did you mean --json?',
  ]);
});

Deno.test("a flag missing its value is one line: the flag after it is not taken for it", async () => {
  assertProblems(await herd({ args: ["config", "-w", "-p", "26501"] }), [
    'Missing value for "-w": expected INT|auto',
  ]);
  assertProblems(await herd({ args: ["config", "--pidfile", "--workers", "2"] }), [
    'Missing value for "--pidfile": expected PATH',
  ]);
});

Deno.test("a mistyped command gives a suggestion", async () => {
  assertProblems(await herd({ args: ["stauts"] }), [
    'Unknown command "stauts": did you mean status?',
  ]);
});

Deno.test("wrong types and out-of-range values name setting, value and source", async () => {
  assertProblems(
    await herd({ args: ["config", "--port", "70000"], env: { HERD_WORKERS: "abc" } }),
    [
      'Invalid value for "port": "70000" from --port (command line): expected an integer from 0 to 65535',
      'Invalid value for "workers": "abc" from HERD_WORKERS (environment): expected an integer from 1 to 1024, or auto',
    ],
  );
});

Deno.test("a bind with a scheme says the scheme is not supported, and what is", async () => {
  assertProblems(await herd({ args: ["config", "-b", "tcp://127.0.0.1:26505"] }), [
    'Invalid bind "tcp://127.0.0.1:26505" from -b (command line): the scheme "tcp://" is not supported; write HOST:PORT, [IPV6]:PORT or unix:PATH',
  ]);
});

Deno.test("an unknown HERD_ variable is a warning with a suggestion", async () => {
  const run = await herd({ args: ["config"], env: { HERD_WORKRS: "2" } });
  assertEquals(run.code, 0);
  assertEquals(
    run.stderr.trimEnd(),
    'warning: Unknown variable "HERD_WORKRS" (environment): did you mean HERD_WORKERS?',
  );
});

Deno.test("a port the bind leaves unused is one warning naming both settings and their sources", async () => {
  const run = await herd({ args: ["config", "--port", "9000", "--bind", "127.0.0.1:9001"] });
  assertEquals(run.code, 0);
  assertEquals(
    run.stderr.trimEnd(),
    'warning: Ignored "port" 9000 from --port (command line): "bind" from --bind (command line) ' +
      "sets where to listen (127.0.0.1:9001)",
  );
});

Deno.test("a malformed or unreadable .env is reported with its file", async () => {
  assertProblems(
    await herd({
      args: ["config"],
      files: { ".env": await Deno.readTextFile(`${FIXTURES}envs/malformed.env`) },
    }),
    ['".env" line 2: expected KEY=VALUE'],
  );
  const cwdDir = await herd({ args: ["config", "--env-file", "/"] });
  assertEquals(cwdDir.code, 2);
  assertMatch(cwdDir.stderr, /^error: Cannot read env file "\/": .+\n$/);
  assertProblems(await herd({ args: ["config", "--env-file", "missing.env"] }), [
    'Cannot find env file "missing.env" from --env-file (command line)',
  ]);
});

Deno.test("a config.ts that throws gives one line, and a stack trace only at debug", async () => {
  const files = { "config.ts": await Deno.readTextFile(`${FIXTURES}configs/throws.ts`) };
  assertProblems(await herd({ args: ["config"], files }), [
    'Cannot load config file "config.ts": Database URL missing',
  ]);
  const debug = await herd({ args: ["config"], files, env: { HERD_LOG_LEVEL: "debug" } });
  assertEquals(debug.code, 2);
  assert(STACK_LINE.test(debug.stderr), debug.stderr);
});

Deno.test("a config.ts with the wrong shape or an unknown key is one line each", async () => {
  assertProblems(await herd({ args: ["config", "-c", `${FIXTURES}configs/not_object.ts`] }), [
    `Invalid default export of "${FIXTURES}configs/not_object.ts": must be an object (use defineConfig)`,
  ]);
  assertProblems(
    await herd({ args: ["config"], files: { "config.ts": "export default { wokers: 4 };" } }),
    ['Unknown key "wokers" in "config.ts": did you mean workers?'],
  );
});

Deno.test("a missing app path is reported with where it was looked for and came from", async () => {
  const cli = await herd({ args: ["check", "nowhere.ts"] });
  assertEquals(cli.code, 2);
  assertMatch(
    cli.stderr,
    /^error: Cannot find app "nowhere\.ts" \(looked for \/\S+\/nowhere\.ts\) from APP \(command line\)\n$/,
  );
  const env = await herd({ args: ["config"], env: { HERD_APP: "gone.ts" } });
  assertEquals(env.code, 2);
  assertMatch(
    env.stderr,
    /^error: Cannot find app "gone\.ts" \(looked for .*\) from HERD_APP \(environment\)\n$/,
  );
});

Deno.test(".env edge cases: quotes, export, comments, empty values and CRLF", async () => {
  const lf = await Deno.readTextFile(`${FIXTURES}envs/edge_cases.env`);
  for (const text of [lf, lf.replaceAll("\n", "\r\n")]) {
    const config = await configJson({ args: [], files: { ".env": text } });
    assertEquals(config.timeout, { value: 12, source: ".env" });
    assertEquals(config.graceful_timeout, { value: 7, source: ".env" });
    assertEquals(config.access_log_format, { value: "%(h)s # not a comment", source: ".env" });
    // `HERD_PIDFILE=` is a variable with no value: the setting is left unset (with a warning).
    assertEquals(config.pidfile, { value: null, source: "default" });
    assertEquals(config.max_requests, { value: 42, source: ".env" });
  }
});

Deno.test(".env: CR line endings, `export A=`, text after a quote, one line for garbage", async () => {
  const cr = await configJson({ args: [], files: { ".env": "HERD_WORKERS=3\rHERD_TIMEOUT=6\r" } });
  assertEquals([cr.workers, cr.timeout], [
    { value: 3, source: ".env" },
    { value: 6, source: ".env" },
  ]);
  const exported = await herd({ args: ["config"], files: { ".env": "export HERD_WORKERS=\n" } });
  assertEquals(exported.code, 0);
  assertEquals(
    exported.stderr.trimEnd(),
    'warning: Ignored "HERD_WORKERS" in ".env": empty, so it does not set "workers"',
  );
  assertProblems(
    await herd({ args: ["config"], files: { ".env": 'HERD_WORKERS="3" extra\n' } }),
    ['".env" line 1: text after the closing quote of "HERD_WORKERS"'],
  );
  const garbage = Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join("");
  const run = await herd({ args: ["config"], files: { ".env": garbage } });
  assertEquals(run.stderr.trimEnd().split("\n").length, 4);
  assertMatch(run.stderr, /\nerror: and 297 more problems in "\.env"\n$/);
});

Deno.test("config --json reports the value and the source from all five sources", async () => {
  const config = await configJson({
    args: ["--max-age", "5"],
    files: {
      "config.ts": `export default {
        timeout: 1, keepalive: 1,
        profiles: { development: { graceful_timeout: 2 } },
        on_exit: () => {},
      };`,
      ".env": "HERD_KEEPALIVE=3\nHERD_MAX_AGE=3\nHERD_MAX_REQUESTS=3\n",
    },
    env: { HERD_MAX_REQUESTS: "4" },
  });
  assertEquals(Object.keys(config), SETTINGS.map((s) => s.name));
  assertEquals(config.worker_connections, { value: 1000, source: "default" });
  assertEquals(config.timeout, { value: 1, source: "config.ts" });
  assertEquals(config.graceful_timeout, { value: 2, source: "config.ts" });
  assertEquals(config.keepalive, { value: 3, source: ".env" });
  assertEquals(config.max_requests, { value: 4, source: "env" });
  assertEquals(config.max_age, { value: 5, source: "cli" });
  assertEquals(config.on_exit, { value: "function", source: "config.ts" });
  assertEquals(config.on_starting, { value: null, source: "default" });
});

Deno.test("config without --json prints an aligned table", async () => {
  const run = await herd({ args: ["config", "-w", "2"] });
  assertEquals(run.code, 0);
  assertMatch(run.stdout, /^workers +2 +cli$/m);
});

Deno.test("PORT and WEB_CONCURRENCY apply when nothing else configures them", async () => {
  const env = { PORT: "3000", WEB_CONCURRENCY: "3" };
  const bare = await configJson({ args: [], env });
  assertEquals([bare.port, bare.workers], [
    { value: 3000, source: "env" },
    { value: 3, source: "env" },
  ]);
  const configured = await configJson({ args: ["-p", "4000"], env: { ...env, HERD_WORKERS: "2" } });
  assertEquals([configured.port, configured.workers], [
    { value: 4000, source: "cli" },
    { value: 2, source: "env" },
  ]);
});

Deno.test("--env-prefix and envPrefix change the variables read", async () => {
  const env = { MYAPP_TIMEOUT: "11", HERD_TIMEOUT: "22" };
  assertEquals((await configJson({ args: ["--env-prefix", "MYAPP"], env })).timeout, {
    value: 11,
    source: "env",
  });
  const files = { "config.ts": await Deno.readTextFile(`${FIXTURES}configs/env_prefix.ts`) };
  const viaConfig = await configJson({ args: [], env, files });
  assertEquals(viaConfig.timeout, { value: 11, source: "env" });
  assertEquals(viaConfig.env_prefix, { value: "MYAPP", source: "config.ts" });
});

Deno.test("--help lists every CLI setting of the table, for any command", async () => {
  for (const args of [["--help"], ["serve", "--help"], ["config", "-h"], ["help"]]) {
    const run = await herd({ args });
    assertEquals(run.code, 0);
    for (const s of SETTINGS) {
      if (s.cli === false || s.positional) continue;
      assert(run.stdout.includes(`--${s.boolean ? "[no-]" : ""}${flagName(s.name)}`), s.name);
      if (s.env !== false) assert(run.stdout.includes(envName(s.name, "HERD")), s.name);
    }
  }
});

Deno.test("--version names Herd and Deno, before or after the command", async () => {
  for (const args of [["--version"], ["serve", "--version"], ["check", "app.ts", "-V"]]) {
    const run = await herd({ args });
    assertEquals(run.code, 0, `${args.join(" ")}: ${run.stderr}`);
    assertMatch(run.stdout, /^herd \d+\.\d+\.\d+\S* \(deno \d+\.\d+\.\d+\S*\)\n$/);
  }
});

Deno.test("docs/settings.md and the Settings interface are in sync with the table", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/gen_settings_doc.ts`, "--check"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
});

const LOAD_APP_EXISTS = await Deno.stat(`${ROOT}src/worker/load_app.ts`).then(
  () => true,
  () => false,
);

Deno.test({
  name: "check imports the app and reports OK, or one line and the exit code serve would stop with",
  ignore: !LOAD_APP_EXISTS,
  fn: async () => {
    const ok = await herd({
      args: ["check", "app.ts"],
      files: { "app.ts": 'export default { fetch: () => new Response("ok") };' },
    });
    assertEquals(ok.stdout, "Configuration OK (no config.ts, app app.ts)\n", ok.stderr);
    assertEquals(ok.code, 0);
    const embedded = await herd({ args: ["check"], files: { "config.ts": "export default {};" } });
    assertMatch(embedded.stdout, /^Configuration OK \(.*config\.ts, app embedded default app\)\n$/);
    const broken = await herd({
      args: ["check", "app.ts"],
      files: { "app.ts": 'throw new Error("no database");' },
    });
    assertEquals(broken.code, 4, "as serve: the app failed to load");
    assertEquals(broken.stderr.trimEnd().split("\n").length, 1, broken.stderr);
    assertMatch(broken.stderr, /^error: .*no database/);
    // What serve would refuse before starting, check refuses too.
    const paths = await herd({
      args: [
        "check",
        "--control-socket",
        Deno.execPath(),
        "--pidfile",
        "/no-such-dir/h.pid",
        "--error-log",
        "/etc/passwd/logs/e.log",
      ],
    });
    assertEquals(paths.code, 2);
    // In serve's order (the log files first), in serve's words.
    assertEquals(paths.stderr.trimEnd().split("\n"), [
      'error: Cannot create log directory "/etc/passwd/logs": Not a directory ' +
      '("error_log" from --error-log (command line))',
      `error: Cannot open the control socket "${Deno.execPath()}" (control_socket): ` +
      `"${Deno.execPath()}" is taken by a file that is not a socket`,
      'error: Cannot write the pidfile "/no-such-dir/h.pid" (pidfile): no directory "/no-such-dir"',
    ]);
    // An address of no interface here (TEST-NET-1): serve would stop with exit 5.
    const elsewhere = await herd({ args: ["check", "--bind", "192.0.2.1:8080"] });
    assertEquals([elsewhere.code, elsewhere.stderr], [
      5,
      "error: Cannot listen on 192.0.2.1:8080: Cannot assign requested address " +
      '("bind" from --bind (command line))\n',
    ]);
    // Busy, by another program than a Herd master: serve would refuse it, and so does check.
    // (Held by the running Herd check may be run to replace, it is a note: check_agrees_test.)
    using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const busyPort = (busy.addr as Deno.NetAddr).port;
    // Checked five times, a second apart, as serve checks it.
    const taken = await herd({ args: ["check", "--bind", `127.0.0.1:${busyPort}`] });
    const inUse = `Address 127.0.0.1:${busyPort} is already in use`;
    assertEquals([taken.code, taken.stderr], [
      5,
      [1, 2, 3, 4].map((n) => `note: ${inUse}; checking again in 1 s (${n} of 5), as serve does\n`)
        .join("") + `error: ${inUse} ("bind" from --bind (command line))\n`,
    ]);
    const noUser = await herd({ args: ["check", "--user", "no-such-user-here"] });
    assertEquals(noUser.code, 2);
    assertEquals(
      noUser.stderr,
      'error: Unknown user "no-such-user-here" ("user" from --user (command line)): not in /etc/passwd\n',
    );
  },
});

Deno.test("check imports the app as a worker would: with the workers' permissions", async () => {
  const files = {
    "app.ts": 'const db = Deno.env.get("DATABASE_URL") ?? "none";\n' +
      "export default { fetch: () => new Response(db) };",
  };
  const narrow = await herd({ args: ["check", "app.ts"], files });
  assertEquals(narrow.code, 4, narrow.stdout);
  assertEquals(
    narrow.stderr,
    "error: A worker cannot load what this check loaded with every permission: " +
      'Cannot import app "app.ts": Requires env access to "DATABASE_URL": workers have narrow ' +
      'permissions; add "--allow-env=DATABASE_URL" to worker_permissions\n',
  );
  const widened = await herd({
    args: ["check", "app.ts", "--worker-permissions=--allow-env=DATABASE_URL"],
    files,
  });
  assertEquals([widened.code, widened.stdout], [
    0,
    "Configuration OK (no config.ts, app app.ts)\n",
  ]);
  const hung = await herd({
    args: ["check", "app.ts", "--boot-timeout", "1"],
    files: { "app.ts": "await new Promise(() => {});\nexport default () => new Response();" },
  });
  // A top-level await that never settles runs into boot_timeout (the probe watches its parent,
  // so Deno does not end it first).
  assertEquals([hung.code, hung.stderr], [
    4,
    "error: The app did not finish loading within boot_timeout (1 s): a top-level await " +
    "that never settles, or a loop?\n",
  ]);
  // One that keeps the event loop busy (a timer, a socket) runs into boot_timeout; one that
  // never yields does too, and Deno.exit() at import is named (check exited 0 with no word).
  for (
    const [source, line] of [
      [
        "setInterval(() => {}, 1000);\nawait new Promise(() => {});",
        "error: The app did not finish loading within boot_timeout (1 s): a top-level await " +
        "that never settles, or a loop?\n",
      ],
      [
        "while (true) {}",
        "error: The app did not finish loading within boot_timeout (1 s): a top-level await " +
        "that never settles, or a loop?\n",
      ],
      [
        "Deno.exit(0);",
        "error: The app ended the process while loading (exit code 0): an app must not call " +
        "Deno.exit() at import\n",
      ],
    ]
  ) {
    const run = await herd({
      args: ["check", "app.ts", "--boot-timeout", "1"],
      files: { "app.ts": `${source}\nexport default () => new Response();` },
    });
    assertEquals([run.code, run.stderr, run.stdout], [4, line, ""], source);
  }
});

Deno.test("check takes a file: URL app as its path: the workers may read it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd_cli_app_" });
  try {
    await Deno.writeTextFile(`${dir}/app.ts`, "export default () => new Response();\n");
    const run = await herd({ args: ["check", `file://${dir}/app.ts`, "-w", "1", "-p", "26611"] });
    assertEquals([run.code, run.stderr], [0, ""]);
    assertEquals(run.stdout, `Configuration OK (no config.ts, app ${dir}/app.ts)\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("status and reopen-logs take no app: one line saying so, exit 2", async () => {
  for (const command of ["status", "reopen-logs"]) {
    const run = await herd({ args: [command, "extra"] });
    assertEquals(run.code, 2);
    assertEquals(run.stderr, `error: "${command}" takes no app, but was given "extra"\n`);
  }
});

Deno.test("main.ts run without -A says so in one line, naming what is missing", async () => {
  const serveWith = async (permissions: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, MAIN, "serve", "--port", "9"],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  };
  const line = (missing: string) =>
    `error: Herd needs every permission: run it with -A (deno run -A): without ${missing} access\n`;
  assertEquals(await serveWith([]), { code: 2, stderr: line("env, read, write, net, run, sys") });
  // Some permissions only: the same one line, before anything starts.
  assertEquals(await serveWith(["--allow-env", "--allow-read", "--allow-net"]), {
    code: 2,
    stderr: line("write, run, sys"),
  });
});

Deno.test("check refuses a log file or pidfile that is a directory, as serve does", async () => {
  const run = await herd({
    args: ["check", "--port", "0", "--access-log", "logs", "--pidfile", "run"],
    files: { "logs/keep": "", "run/keep": "" },
  });
  assertEquals(run.code, 2, run.stdout);
  assertEquals(
    run.stderr,
    'error: Cannot open log file "logs": Is a directory ("access_log" from --access-log ' +
      '(command line))\nerror: Cannot write the pidfile "run" (pidfile): Is a directory\n',
  );
});

Deno.test("check and config: config.ts that calls Deno.exit() or leaves a failing promise is refused", async () => {
  const exits = { "config.ts": "Deno.exit(0);\nexport default {};" };
  for (const command of ["check", "config"]) {
    const run = await herd({ args: [command], files: exits });
    assertEquals([run.code, run.stderr], [
      2,
      'error: Cannot load config file "config.ts": it called Deno.exit(0) while being loaded: ' +
      "it must not end the process\n",
    ], command);
  }
  const stray = {
    "config.ts": 'Promise.reject(new Error("no database"));\nexport default {};',
  };
  const checked = await herd({ args: ["check"], files: stray });
  assertEquals([checked.code, checked.stdout, checked.stderr], [
    2,
    "",
    'error: Unhandled promise rejection: no database (from "config.ts"?)\n',
  ]);
  // Named by its path, as other config errors are: a timer that throws later, another file.
  // (Its next turn: check must still be running, and without an app it ends within 50 ms.)
  const late = {
    "conf/late.ts": 'setTimeout(() => { throw new Error("late boom") });\nexport default {};',
  };
  const timer = await herd({ args: ["check", "-c", "conf/late.ts"], files: late });
  assertEquals([timer.code, timer.stderr], [
    2,
    'error: Uncaught error: late boom (from "conf/late.ts"?)\n',
  ]);
});
