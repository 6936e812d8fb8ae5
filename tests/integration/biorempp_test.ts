/**
 * The BioRemPP service's Gunicorn configuration page
 * (`/work/shared/seed/gunicorn-configuration.txt`), statement by statement,
 * against the real example in `examples/biorempp`: `deno run -A main.ts`
 * started as a process with the documented variables, asked over 127.0.0.1,
 * its log files and output read.
 *
 * Every run works in a throw-away copy of the example placed next to it
 * (`examples/.biorempp-test-*`), so that `../../src/mod.ts` still resolves
 * and `logs/` and `.env` never touch the real example; the environment is
 * cleared so that no variable of the test runner leaks in. Ports are free
 * ones: 8080, the documented default, is only checked through
 * `config --json`.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { childPids, freePort, isAlive } from "./_harness.ts";
import { effectiveCpuCount } from "../../src/platform/cpus.ts";
import { inContainer } from "../../src/platform/container.ts";

const EXAMPLE = new URL("../../examples/biorempp/", import.meta.url).pathname;
const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const ENTRYPOINT = new URL("../../scripts/entrypoint.sh", import.meta.url).pathname;
const ERROR_LOG = "logs/gunicorn_error.log";
const ACCESS_LOG = "logs/gunicorn_access.log";
const CPUS = effectiveCpuCount();

// ---- helpers ----------------------------------------------------------------

/** A copy of the example; removed (with its `logs/` and `.env`) on dispose. */
interface Sandbox extends AsyncDisposable {
  dir: string;
  read(path: string): string;
  exists(path: string): boolean;
}

async function sandbox(files: Record<string, string> = {}): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ dir: EXAMPLES, prefix: ".biorempp-test-" });
  for (const entry of Deno.readDirSync(EXAMPLE)) {
    if (!entry.isFile || entry.name === ".env") continue;
    await Deno.copyFile(`${EXAMPLE}${entry.name}`, `${dir}/${entry.name}`);
  }
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return {
    dir,
    read: (path) => {
      try {
        return Deno.readTextFileSync(`${dir}/${path}`);
      } catch {
        return "";
      }
    },
    exists: (path) => {
      try {
        Deno.statSync(`${dir}/${path}`);
        return true;
      } catch {
        return false;
      }
    },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/**
 * Only what Deno itself needs, plus `vars`: the documented variables and
 * nothing else. Herd refuses to run production workers as root; the test
 * machines run as root (the image runs as uid 10001), so the tests allow it.
 */
function cleanEnv(vars: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (Deno.uid() === 0) env.BIOREMPP_ALLOW_ROOT = "1";
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...vars };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno run -A main.ts ARGS` to completion, in `cwd` (default: the example itself). */
async function runMain(args: string[], vars: Record<string, string>, cwd = EXAMPLE): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd,
    clearEnv: true,
    env: cleanEnv(vars),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

type ConfigJson = Record<string, { value: unknown; source: string }>;

/** `main.ts config --json` with `vars`; asserts exit 0 and returns the parsed settings and stderr. */
async function configJson(vars: Record<string, string>, cwd?: string) {
  const run = await runMain(["config", "--json"], vars, cwd);
  assertEquals(run.code, 0, run.stderr);
  return { config: JSON.parse(run.stdout) as ConfigJson, stderr: run.stderr };
}

/** Polls `probe` every 50 ms until it returns a value; fails after `timeoutMs` with `what`. */
async function waitUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: () => string,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const hit = await probe();
    if (hit !== undefined) return hit;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out waiting for ${what()}`);
}

/** A running `deno run -A main.ts` (or the container entrypoint) and what it printed. */
interface Server extends AsyncDisposable {
  pid: number;
  url: string;
  stdout: string[];
  stderr: string[];
  /** Live workers of the master (its children). */
  workerPids(): number[];
  /** SIGTERM; resolves with the exit code (SIGKILL after 15 s). */
  stop(): Promise<number>;
}

interface StartOptions {
  vars: Record<string, string>;
  box: Sandbox;
  /** What to run instead of `deno run -A main.ts` (the container entrypoint). */
  command?: { program: string; args: string[] };
  /** A regexp the error log (file or stderr) shows once the server is ready; else poll `/health`. */
  readyLine?: RegExp;
}

async function start(options: StartOptions): Promise<Server> {
  const port = Number(options.vars.BIOREMPP_PORT);
  assert(port > 0 && port !== 8080, "tests use a free port, never 8080");
  const { program, args } = options.command ??
    { program: Deno.execPath(), args: ["run", "-A", "main.ts"] };
  const child = new Deno.Command(program, {
    args,
    cwd: options.box.dir,
    clearEnv: true,
    env: cleanEnv(options.vars),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const pumps = [collect(child.stdout, stdout), collect(child.stderr, stderr)];
  let code: number | null = null;
  const status = child.status.then(async (s) => {
    await Promise.all(pumps);
    code = s.code;
    return s.code;
  });
  // Every worker ever seen, so that none outlives the test even if the master dies first.
  const seen = new Set<number>();
  const workerPids = () => {
    const pids = childPids(child.pid, "");
    pids.forEach((pid) => seen.add(pid));
    return pids;
  };
  const server: Server = {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    stdout,
    stderr,
    workerPids,
    stop: async () => {
      workerPids();
      if (code === null) child.kill("SIGTERM");
      const timer = setTimeout(() => code === null && child.kill("SIGKILL"), 15_000);
      const exitCode = await status;
      clearTimeout(timer);
      for (const pid of seen) {
        if (isAlive(pid)) Deno.kill(pid, "SIGKILL");
      }
      return exitCode;
    },
    [Symbol.asyncDispose]: async () => {
      await server.stop();
    },
  };
  const output = () =>
    `exit ${code}\n--- stdout\n${stdout.join("\n")}\n--- stderr\n${stderr.join("\n")}\n` +
    `--- ${ERROR_LOG}\n${options.box.read(ERROR_LOG)}`;
  try {
    await waitUntil(async () => {
      if (code !== null) throw new Error(`The server exited before it was ready:\n${output()}`);
      if (options.readyLine) {
        const log = stderr.join("\n") + "\n" + options.box.read(ERROR_LOG);
        return options.readyLine.test(log) ? true : undefined;
      }
      return (await get(`${server.url}/health`).catch(() => null))?.status === 200
        ? true
        : undefined;
    }, () => `the server to be ready:\n${output()}`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function collect(stream: ReadableStream<Uint8Array>, lines: string[]) {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const parts = pending.split("\n");
    pending = parts.pop()!;
    lines.push(...parts);
  }
  if (pending) lines.push(pending);
}

/** A GET on a fresh connection each time, so requests spread over the workers. */
async function get(url: string): Promise<{ status: number; body: string }> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const response = await fetch(url, { client, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  } finally {
    client.close();
  }
}

/** The pids named by `Worker spawned (pid: N)`, the post_fork hook's line. */
function spawnedPids(log: string): number[] {
  return [...log.matchAll(/Worker spawned \(pid: (\d+)\)/g)].map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

const READY = /BioRemPP is ready: \d+ workers serving/;

// ---- Configuration file and entry point -------------------------------------

Deno.test("'Gunicorn reads configuration from gunicorn_config.py located at the project root': config.ts of the example is the config, given to serve()", async () => {
  const { config, stderr } = await configJson({});
  assertEquals(stderr, "");
  for (const name of ["env_prefix", "workers", "worker_class", "timeout", "keepalive", "port"]) {
    assertEquals(config[name].source, "serve()", name);
  }
  assertEquals(config.env_prefix.value, "BIOREMPP");
  // Every hook of the documentation's hook table is defined.
  for (const hook of ["on_starting", "when_ready", "post_fork", "worker_abort", "on_exit"]) {
    assertEquals(config[hook], { value: "function", source: "serve()" }, hook);
  }
  const table = await runMain(["config"], {});
  assertMatch(table.stdout, /^config\.ts: config given to serve\(\)$/m);
  const check = await runMain(["check"], {});
  assertEquals(check.code, 0, check.stderr);
  assertMatch(check.stdout, /Configuration OK/);
});

// ---- Key settings: variables and defaults -----------------------------------

Deno.test("'Key Settings' defaults: 4 workers, sync, 1000 connections, timeout 60, keepalive 5, port 8080", async () => {
  const { config, stderr } = await configJson({});
  assertEquals(stderr, "", "a clean environment gives no warning");
  const expected: Record<string, unknown> = {
    workers: 4,
    worker_class: "sync",
    worker_connections: 1000,
    timeout: 60,
    keepalive: 5,
    log_level: "info",
    env: "development",
    host: "127.0.0.1",
    port: 8080,
  };
  for (const [name, value] of Object.entries(expected)) {
    assertEquals(config[name].value, value, name);
  }
  // Production's default host is every interface (the container pitfall).
  const production = await configJson({ BIOREMPP_ENV: "production" });
  assertEquals(production.config.host, { value: "0.0.0.0", source: "default" });
});

Deno.test("every BIOREMPP_* variable of the tables overrides its default, with source env", async () => {
  const { config, stderr } = await configJson({
    BIOREMPP_WORKERS: "2",
    BIOREMPP_WORKER_CLASS: "gevent",
    BIOREMPP_WORKER_CONNECTIONS: "500",
    BIOREMPP_TIMEOUT: "300",
    BIOREMPP_KEEPALIVE: "2",
    BIOREMPP_LOG_LEVEL: "debug",
    BIOREMPP_ENV: "production",
    BIOREMPP_HOST: "0.0.0.0",
    BIOREMPP_PORT: "9000",
  });
  assertEquals(stderr, "");
  const expected: Record<string, unknown> = {
    workers: 2,
    // gevent is accepted and is Herd's async worker: no library to install (pitfall 3).
    worker_class: "async",
    worker_connections: 500,
    timeout: 300,
    keepalive: 2,
    log_level: "debug",
    env: "production",
    host: "0.0.0.0",
    port: 9000,
  };
  for (const [name, value] of Object.entries(expected)) {
    assertEquals(config[name], { value, source: "env" }, name);
  }
});

Deno.test("a bad BIOREMPP_* value is one line naming the variable, exit 2", async () => {
  const cases = {
    BIOREMPP_WORKERS: "abc",
    BIOREMPP_TIMEOUT: "-1",
    BIOREMPP_KEEPALIVE: "soon",
    BIOREMPP_LOG_LEVEL: "loud",
    BIOREMPP_ENV: "staging",
    BIOREMPP_PORT: "80800",
  };
  for (const [name, raw] of Object.entries(cases)) {
    const run = await runMain(["config", "--json"], { [name]: raw });
    assertEquals(run.code, 2, `${name}=${raw}: ${run.stderr}`);
    const lines = run.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, run.stderr);
    assertMatch(lines[0], new RegExp(`^error: .*"${raw}" from ${name} \\(environment\\)`));
  }
});

Deno.test("'BIOREMPP_WORKER_CONNECTIONS: Max connections per worker (gevent/eventlet only)': a warning with sync, none with gevent", async () => {
  const sync = await configJson({ BIOREMPP_WORKER_CONNECTIONS: "1000" });
  const warnings = sync.stderr.trimEnd().split("\n");
  assertEquals(warnings.length, 1, sync.stderr);
  assertMatch(warnings[0], /^warning: .*BIOREMPP_WORKER_CONNECTIONS.*no effect.*sync/);
  const gevent = await configJson({
    BIOREMPP_WORKER_CLASS: "gevent",
    BIOREMPP_WORKER_CONNECTIONS: "1000",
  });
  assertEquals(gevent.stderr, "");
  assertEquals(gevent.config.worker_connections, { value: 1000, source: "env" });
});

// ---- Worker lifecycle ---------------------------------------------------------

Deno.test("'max_requests 1000, max_requests_jitter 50' come from the configuration file", async () => {
  const { config } = await configJson({});
  assertEquals(config.max_requests, { value: 1000, source: "serve()" });
  assertEquals(config.max_requests_jitter, { value: 50, source: "serve()" });
});

// ---- Worker count guidance and pitfall 1 ------------------------------------

Deno.test("'Too many workers for available CPU': above (2 × CPU cores) + 1 Herd warns, at it not", async () => {
  const ceiling = 2 * CPUS + 1;
  const over = await configJson({ BIOREMPP_WORKERS: String(ceiling + 1) });
  assertMatch(
    over.stderr,
    new RegExp(`^warning: "workers" is ${ceiling + 1} from BIOREMPP_WORKERS .*= ${ceiling}`),
  );
  const at = await configJson({ BIOREMPP_WORKERS: String(ceiling) });
  assertEquals(at.stderr, "");
});

Deno.test("'Formula: (2 × CPU cores) + 1': BIOREMPP_WORKERS=auto starts that many sync workers", async () => {
  await using box = await sandbox();
  await using server = await start({
    box,
    vars: { BIOREMPP_WORKERS: "auto", BIOREMPP_PORT: String(freePort()) },
    readyLine: READY,
  });
  const expected = 2 * CPUS + 1;
  // The banner, as lines of the error log (stderr in development): stdout is not a terminal.
  assert(
    server.stderr.some((l) => l.endsWith(`[INFO] Workers: ${expected} (sync)`)),
    server.stderr.join("\n"),
  );
  assertEquals(server.stdout.filter((l) => l.startsWith("Workers:")), [], "no banner on stdout");
  assertEquals(server.workerPids().length, expected);
  assertEquals(server.stderr.filter((l) => l.startsWith("warning")), []);
});

// ---- Logging and hooks ------------------------------------------------------

Deno.test("'BIOREMPP_ENV=production BIOREMPP_WORKERS=4 BIOREMPP_TIMEOUT=300': 4 workers serve, logs/gunicorn_*.log get the requests and the hooks", async () => {
  await using box = await sandbox();
  const server = await start({
    box,
    vars: {
      BIOREMPP_ENV: "production",
      BIOREMPP_WORKERS: "4",
      BIOREMPP_TIMEOUT: "300",
      BIOREMPP_PORT: String(freePort()),
    },
    readyLine: READY,
  });
  try {
    const workers = server.workerPids();
    assertEquals(workers.length, 4);
    // post_fork logs each worker's pid: exactly the real workers.
    assertEquals(spawnedPids(box.read(ERROR_LOG)), workers);
    assertMatch(box.read(ERROR_LOG), /BioRemPP is ready: 4 workers serving/);
    assertMatch(
      box.read(ERROR_LOG),
      /\[INFO\] Starting BioRemPP: env=production workers=4 worker_class=sync timeout=300s keepalive=5s max_requests=1000±50 log_level=info/,
    );

    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await get(`${server.url}/health`));
    for (const answer of answers) assertEquals(answer.status, 200);
    // Preload (pitfall 4): each worker evaluated the app module exactly once.
    const health = answers.map((a) => JSON.parse(a.body) as { pid: number; app_loads: number });
    for (const h of health) {
      assert(workers.includes(h.pid), `answered by ${h.pid}, not a worker of ${workers}`);
      assertEquals(h.app_loads, 1);
    }
    assertEquals((await get(`${server.url}/api/databases`)).status, 200);

    const access = await waitUntil(() => {
      const lines = box.read(ACCESS_LOG).split("\n").filter((l) => l.includes('"GET /'));
      return lines.length >= 13 ? lines : undefined;
    }, () => `13 access lines in ${ACCESS_LOG}:\n${box.read(ACCESS_LOG)}`);
    assertEquals(access.filter((l) => /"GET \/health HTTP\/1\.1" 200 /.test(l)).length, 12);
    assertEquals(access.filter((l) => /"GET \/api\/databases HTTP\/1\.1" 200 /.test(l)).length, 1);
    // Production keeps stdout to the banner: no access or error lines there.
    assert(!server.stdout.some((l) => l.includes("GET /")), server.stdout.join("\n"));

    assertEquals(await server.stop(), 0);
    assertMatch(box.read(ERROR_LOG), /\[INFO\] BioRemPP shut down gracefully\n/);
    for (const pid of workers) assert(!isAlive(pid), `worker ${pid} outlived its master`);
  } finally {
    await server.stop();
  }
});

Deno.test("'Access log: stdout (development) · Error log: stderr (development)': no logs/ folder", async () => {
  await using box = await sandbox();
  await using server = await start({
    box,
    vars: { BIOREMPP_WORKERS: "2", BIOREMPP_PORT: String(freePort()) },
    readyLine: READY,
  });
  assertEquals((await get(`${server.url}/api/databases`)).status, 200);
  await waitUntil(
    () => server.stdout.find((l) => /"GET \/api\/databases HTTP\/1\.1" 200 /.test(l)),
    () => `an access line on stdout:\n${server.stdout.join("\n")}`,
  );
  const errors = server.stderr.join("\n");
  assertMatch(errors, /\[INFO\] Starting BioRemPP: env=development workers=2/);
  assertEquals(spawnedPids(errors), server.workerPids());
  assert(!server.stderr.some((l) => l.includes("GET /")), "access lines stay off stderr");
  assert(!box.exists("logs"), "development writes no log files");
});

Deno.test("'Log level is controlled by BIOREMPP_LOG_LEVEL': warning hides the info lines, debug adds debug lines", async () => {
  await using box = await sandbox();
  {
    await using server = await start({
      box,
      vars: {
        BIOREMPP_LOG_LEVEL: "warning",
        BIOREMPP_WORKERS: "1",
        BIOREMPP_PORT: String(freePort()),
      },
    });
    assertEquals(await server.stop(), 0);
    const errors = server.stderr.join("\n");
    assert(!/\[(INFO|DEBUG)\]/.test(errors), errors);
    assert(!errors.includes("Starting BioRemPP"), "the on_starting line is info");
  }
  {
    await using server = await start({
      box,
      vars: {
        BIOREMPP_LOG_LEVEL: "debug",
        BIOREMPP_WORKERS: "1",
        BIOREMPP_PORT: String(freePort()),
      },
      readyLine: READY,
    });
    const errors = server.stderr.join("\n");
    assertMatch(errors, /\[DEBUG\] /);
    assertMatch(errors, /\[INFO\] Starting BioRemPP: .* log_level=debug/);
  }
});

Deno.test("'worker_abort: Worker receives SIGABRT — Log abnormal termination': a blocked worker past BIOREMPP_TIMEOUT", async () => {
  await using box = await sandbox();
  await using server = await start({
    box,
    vars: { BIOREMPP_TIMEOUT: "2", BIOREMPP_WORKERS: "1", BIOREMPP_PORT: String(freePort()) },
    readyLine: READY,
  });
  const [blocked] = server.workerPids();
  // The request blocks the only worker's event loop far past the timeout.
  const heavy = get(`${server.url}/api/heavy-sync?ms=20000`).catch((error) => error);
  await waitUntil(
    () => server.stderr.find((l) => l.includes(`Worker aborted after a timeout (pid: ${blocked})`)),
    () => `the worker_abort line:\n${server.stderr.join("\n")}`,
  );
  assert(server.stderr.some((l) => l.includes(`WORKER TIMEOUT (pid: ${blocked})`)));
  const answer = await heavy;
  assert(answer instanceof Error || answer.status !== 200, "the blocked request did not succeed");
  // A replacement serves, and post_fork logged its pid too.
  const health = await waitUntil(
    () =>
      get(`${server.url}/health`).then((r) => r.status === 200 ? r : undefined, () => undefined),
    () => "the replacement worker to serve",
  );
  const replacement = (JSON.parse(health.body) as { pid: number }).pid;
  assert(replacement !== blocked);
  assertEquals(spawnedPids(server.stderr.join("\n")), [blocked, replacement]);
});

// ---- Pitfall 2: timeout too short for heavy uploads --------------------------

/**
 * Everything the server sends until it closes (or resets: a server that answers before
 * the upload ends closes with unread data, which resets the connection after its answer).
 */
async function readUntilClosed(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
  }
  return text;
}

/**
 * POSTs `chunks` × 16 KiB to /api/upload over a raw connection, one chunk
 * every `gapMs`: a slow client upload. Raw TCP because a server that answers
 * before the body is complete makes `fetch` fail instead of showing the status.
 * Resolves with the response's status code and body.
 */
async function slowUpload(port: number, chunks: number, gapMs: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const length = chunks * 16 * 1024;
    const head = `POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${length}\r\n` +
      "Connection: close\r\n\r\n";
    await conn.write(new TextEncoder().encode(head));
    const response = readUntilClosed(conn);
    for (let i = 0; i < chunks; i++) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      // The server may have answered and closed already: the rest of the upload is moot.
      const sent = await conn.write(new Uint8Array(16 * 1024)).catch(() => null);
      if (sent === null) break;
    }
    const text = await response;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
    return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the reader.
    }
  }
}

Deno.test("'Timeout too short': an upload slower than BIOREMPP_TIMEOUT gets 503, a longer timeout lets it through", async () => {
  await using box = await sandbox();
  for (const [timeout, expected] of [["1", 503], ["10", 200]] as const) {
    await using server = await start({
      box,
      vars: { BIOREMPP_TIMEOUT: timeout, BIOREMPP_WORKERS: "1", BIOREMPP_PORT: String(freePort()) },
      readyLine: READY,
    });
    // 8 chunks, 300 ms apart: about 2.4 s of upload.
    const answer = await slowUpload(Number(new URL(server.url).port), 8, 300);
    assertEquals(answer.status, expected, `timeout ${timeout}: ${answer.body}`);
    // The body may be chunked on the wire: look for the JSON inside it.
    if (expected === 200) assertMatch(answer.body, /\{"received_bytes":131072\}/);
  }
});

// ---- Pitfalls 3–5 ---------------------------------------------------------------

Deno.test("an unknown worker class (BIOREMPP_WORKER_CLASS=tornado) is one clear line, exit 2", async () => {
  const run = await runMain(["config", "--json"], { BIOREMPP_WORKER_CLASS: "tornado" });
  assertEquals(run.code, 2);
  assertEquals(
    run.stderr.trimEnd(),
    'error: Invalid value for "worker_class": "tornado" from BIOREMPP_WORKER_CLASS ' +
      "(environment): expected one of sync, async, gevent, eventlet",
  );
});

Deno.test("'Not setting preload_app=True': preload is on, from the configuration file", async () => {
  const { config } = await configJson({});
  assertEquals(config.preload, { value: true, source: "serve()" });
});

Deno.test({
  name:
    "'Ensure BIOREMPP_HOST=0.0.0.0 when running in Docker': production on 127.0.0.1 in a container warns, naming BIOREMPP_HOST",
  ignore: !inContainer(),
  fn: async () => {
    const loopback = await configJson({ BIOREMPP_ENV: "production", BIOREMPP_HOST: "127.0.0.1" });
    const lines = loopback.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, loopback.stderr);
    assertMatch(
      lines[0],
      /^warning: Host is "127\.0\.0\.1" inside a container.*; it comes from BIOREMPP_HOST \(environment\): set that to 0\.0\.0\.0$/,
    );
    const open = await configJson({ BIOREMPP_ENV: "production", BIOREMPP_HOST: "0.0.0.0" });
    assertEquals(open.stderr, "");
  },
});

// ---- The .env examples ------------------------------------------------------------

/**
 * Checks that `config --json` reads `expected` from the sandbox's `.env`, without a warning, and
 * starts the service on a free port.
 */
async function startEnvExample(
  box: Sandbox,
  expected: Record<string, unknown>,
): Promise<Server> {
  const { config, stderr } = await configJson({}, box.dir);
  assertEquals(stderr, "", "no warning");
  for (const [name, value] of Object.entries(expected)) {
    assertEquals(config[name], { value, source: ".env" }, name);
  }
  return await start({ box, vars: { BIOREMPP_PORT: String(freePort()) }, readyLine: READY });
}

Deno.test("'Minimal Production Configuration' (.env.example as .env): sync, 4 workers, timeout 300, keepalive 5", async () => {
  await using box = await sandbox({ ".env": Deno.readTextFileSync(`${EXAMPLE}.env.example`) });
  await using server = await startEnvExample(box, {
    env: "production",
    workers: 4,
    worker_class: "sync",
    timeout: 300,
    keepalive: 5,
  });
  // The banner is in the error log file, as Gunicorn's start lines are, and names where the
  // configuration came from: main.ts hands it to serve().
  assertMatch(box.read(ERROR_LOG), /\[INFO\] Workers: 4 \(sync\)$/m);
  assertMatch(box.read(ERROR_LOG), /\[INFO\] Config: given to serve\(\)$/m);
  assertEquals(server.workerPids().length, 4);
  assertEquals((await get(`${server.url}/`)).status, 200);
  assertMatch(
    box.read(ERROR_LOG),
    /Starting BioRemPP: env=production workers=4 worker_class=sync timeout=300s keepalive=5s/,
  );
});

Deno.test("'Gevent Workers (High Concurrency)' (.env.gevent.example as .env): async with 1000 connections", async () => {
  await using box = await sandbox({
    ".env": Deno.readTextFileSync(`${EXAMPLE}.env.gevent.example`),
  });
  // No warning: worker_connections counts with gevent (it would be warned about with sync).
  await using server = await startEnvExample(box, {
    env: "production",
    workers: 4,
    worker_class: "async",
    worker_connections: 1000,
    timeout: 300,
  });
  assertMatch(box.read(ERROR_LOG), /\[INFO\] Workers: 4 \(async\)$/m);
  assertEquals(server.workerPids().length, 4);
  assertEquals((await get(`${server.url}/api/databases`)).status, 200);
});

// ---- Inside Docker ---------------------------------------------------------------

Deno.test("examples/biorempp/Dockerfile: compiled binary, non-root, BIOREMPP_HOST=0.0.0.0, port 8080, SIGTERM, checking entrypoint", () => {
  const lines = Deno.readTextFileSync(`${EXAMPLE}Dockerfile`).split("\n");
  const expected = [
    /^FROM denoland\/deno:\S+ AS build$/,
    /^RUN deno compile --unstable-net -A --output \/src\/dist\/biorempp examples\/biorempp\/main\.ts$/,
    /^FROM debian:\S+-slim$/,
    /^COPY --from=build \/src\/dist\/biorempp \/app\/biorempp$/,
    /^COPY --chmod=0755 scripts\/entrypoint\.sh \/app\/entrypoint\.sh$/,
    /^ENV HERD_BIN=\/app\/biorempp$/,
    /^ENV BIOREMPP_HOST=0\.0\.0\.0$/,
    /^EXPOSE 8080$/,
    /^USER 10001$/,
    // It owns logs/ only, not /app, where it could rename a file over the binary.
    /^ {4}&& install -d -o biorempp -g biorempp \/app\/logs$/,
    /^STOPSIGNAL SIGTERM$/,
    // tini as pid 1 reaps orphans and passes signals on to the master.
    /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "\/app\/entrypoint\.sh"\]$/,
    /^CMD \["serve"\]$/,
  ];
  for (const re of expected) assert(lines.some((l) => re.test(l)), `no line matching ${re}`);
});

Deno.test("'docker run -e BIOREMPP_ENV=production -e BIOREMPP_WORKERS=4 biorempp:latest': the image's entrypoint checks, then serves", async () => {
  await using box = await sandbox();
  // The image's binary, stood in for by main.ts; calls.log records each command.
  const wrapper = `${box.dir}/biorempp`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\necho "$1" >> "${box.dir}/calls.log"\n` +
      `exec "${Deno.execPath()}" run -A "${box.dir}/main.ts" "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  const image = { HERD_BIN: wrapper, BIOREMPP_HOST: "0.0.0.0" };
  const command = { program: "sh", args: [ENTRYPOINT] };

  // A bad variable stops the container at once, before anything serves.
  const bad = await new Deno.Command("sh", {
    args: [ENTRYPOINT],
    cwd: box.dir,
    clearEnv: true,
    env: cleanEnv({ ...image, BIOREMPP_ENV: "production", BIOREMPP_WORKERS: "abc" }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 2);
  assertMatch(new TextDecoder().decode(bad.stderr), /^error: .*BIOREMPP_WORKERS/);
  assertEquals(box.read("calls.log"), "check\n");
  await Deno.remove(`${box.dir}/calls.log`);

  // The documented run; only the port differs (8080 may be taken on a shared machine).
  const server = await start({
    box,
    command,
    vars: {
      ...image,
      BIOREMPP_ENV: "production",
      BIOREMPP_WORKERS: "4",
      BIOREMPP_PORT: String(freePort()),
    },
    readyLine: READY,
  });
  try {
    assertEquals(box.read("calls.log"), "check\nserve\n");
    assertEquals(server.workerPids().length, 4);
    assertEquals((await get(`${server.url}/health`)).status, 200);
    assert(!box.read(ERROR_LOG).includes("inside a container"), "0.0.0.0 gives no host warning");
    // exec: SIGTERM from `docker stop` reaches the master, which drains and exits 0.
    assertEquals(await server.stop(), 0);
    assertMatch(box.read(ERROR_LOG), /BioRemPP shut down gracefully/);
  } finally {
    await server.stop();
  }
});

// ---- The runbook ------------------------------------------------------------------

Deno.test("examples/biorempp/README.md is the runbook: start, variables, .env files, container, pitfalls, signals, logs", () => {
  const readme = Deno.readTextFileSync(`${EXAMPLE}README.md`);
  const required = [
    "deno run -A main.ts",
    "deno compile",
    "./biorempp",
    "BIOREMPP_WORKERS",
    "BIOREMPP_WORKER_CLASS",
    "BIOREMPP_WORKER_CONNECTIONS",
    "BIOREMPP_TIMEOUT",
    "BIOREMPP_KEEPALIVE",
    "BIOREMPP_LOG_LEVEL",
    "BIOREMPP_ENV",
    "BIOREMPP_HOST",
    ".env.example",
    ".env.gevent.example",
    "BIOREMPP_TIMEOUT=300",
    "docker run -p 8080:8080",
    "SIGHUP",
    "SIGTERM",
    "logs/gunicorn_access.log",
    "logs/gunicorn_error.log",
  ];
  for (const text of required) assert(readme.includes(text), `README lacks ${text}`);
});
