/**
 * Tests for configuration resolution: precedence across the five sources,
 * the source recorded per value, bootstrap settings and collected problems.
 * Each test writes its own config.ts and .env into a temporary directory.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import { resolveSettings } from "../../../src/settings/resolve.ts";
import type { Resolution, Resolved } from "../../../src/settings/resolved.ts";
import { defineConfig, type UserConfig } from "../../../src/settings/user_config.ts";

interface Scene {
  config?: string;
  dotenv?: string;
  env?: Record<string, string>;
  args?: string[];
}

/** Resolves in a fresh directory holding the scene's config.ts and .env. */
async function resolveIn(scene: Scene): Promise<Resolution> {
  const cwd = await Deno.makeTempDir({ prefix: "herd_resolve_" });
  try {
    if (scene.config !== undefined) await Deno.writeTextFile(`${cwd}/config.ts`, scene.config);
    if (scene.dotenv !== undefined) await Deno.writeTextFile(`${cwd}/.env`, scene.dotenv);
    return await resolveSettings({ args: scene.args ?? [], env: scene.env ?? {}, cwd });
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

async function resolved(scene: Scene): Promise<Resolved> {
  const r = await resolveIn(scene);
  if (!r.ok) throw new Error(`Unexpected problems: ${r.problems.join(" | ")}`);
  return r.resolved;
}

async function problems(scene: Scene): Promise<string[]> {
  const r = await resolveIn(scene);
  assert(!r.ok, "expected problems");
  return r.problems;
}

const ALL_FIVE: Scene = {
  config: `export default {
    timeout: 1, graceful_timeout: 1, keepalive: 1, max_requests: 1, max_age: 1,
    profiles: { development: { graceful_timeout: 2, keepalive: 2, max_requests: 2, max_age: 2 } },
  };`,
  dotenv: "HERD_KEEPALIVE=3\nHERD_MAX_REQUESTS=3\nHERD_MAX_AGE=3\n",
  env: { HERD_MAX_REQUESTS: "4", HERD_MAX_AGE: "4" },
  args: ["--max-age", "5"],
};

Deno.test("resolveSettings() applies defaults < config.ts < profile < .env < env < CLI", async () => {
  const { settings, sources } = await resolved(ALL_FIVE);
  assertEquals(
    [settings.worker_connections, settings.timeout, settings.graceful_timeout],
    [1000, 1, 2],
  );
  assertEquals([settings.keepalive, settings.max_requests, settings.max_age], [3, 4, 5]);
  assertEquals(
    [sources.worker_connections, sources.timeout, sources.graceful_timeout],
    ["default", "config.ts", "config.ts"],
  );
  assertEquals([sources.keepalive, sources.max_requests, sources.max_age], [".env", "env", "cli"]);
});

Deno.test("resolveSettings() never lets .env override the environment", async () => {
  const { settings, sources } = await resolved({
    dotenv: "HERD_TIMEOUT=9\nHERD_KEEPALIVE=8\n",
    env: { HERD_TIMEOUT: "7" },
  });
  assertEquals([settings.timeout, sources.timeout], [7, "env"]);
  assertEquals([settings.keepalive, sources.keepalive], [8, ".env"]);
});

Deno.test("resolveSettings(): an empty variable in the environment does not hide the .env value", async () => {
  const { settings, sources, dotenv } = await resolved({
    dotenv: "HERD_TIMEOUT=9\nPORT=3000\nDATABASE_URL=postgres://db\n",
    env: { HERD_TIMEOUT: "", PORT: " ", DATABASE_URL: "" },
  });
  assertEquals([settings.timeout, sources.timeout], [9, ".env"]);
  assertEquals([settings.port, sources.port], [3000, ".env"]);
  // And the workers get the .env file's values.
  assertEquals(dotenv, { HERD_TIMEOUT: "9", PORT: "3000", DATABASE_URL: "postgres://db" });
});

Deno.test("resolveSettings() decides the profile first, then its defaults and profile values apply", async () => {
  const config = `export default { profiles: { production: { timeout: 60 } } };`;
  const dev = await resolved({ config });
  assertEquals([dev.settings.env, dev.settings.host, dev.settings.timeout], [
    "development",
    "127.0.0.1",
    30,
  ]);
  const prod = await resolved({ config, dotenv: "HERD_ENV=prod\n" });
  assertEquals([prod.settings.env, prod.settings.host, prod.settings.timeout], [
    "production",
    "0.0.0.0",
    60,
  ]);
  assertEquals([prod.sources.env, prod.sources.host, prod.sources.timeout], [
    ".env",
    "default",
    "config.ts",
  ]);
});

Deno.test("resolveSettings() honours PORT and WEB_CONCURRENCY only when nothing configures them", async () => {
  const platform = { PORT: "3000", WEB_CONCURRENCY: "3" };
  const bare = await resolved({ env: platform });
  assertEquals([bare.settings.port, bare.sources.port], [3000, "env"]);
  assertEquals([bare.settings.workers, bare.sources.workers], [3, "env"]);
  const fromDotenv = await resolved({ dotenv: "PORT=3001\n" });
  assertEquals([fromDotenv.settings.port, fromDotenv.sources.port], [3001, ".env"]);
  const configured = await resolved({
    config: "export default { port: 4000 };",
    env: platform,
    args: ["-w", "2"],
  });
  assertEquals([configured.settings.port, configured.sources.port], [4000, "config.ts"]);
  assertEquals([configured.settings.workers, configured.sources.workers], [2, "cli"]);
  // Said, not silent: on a PaaS the platform routes to its PORT.
  assertEquals(configured.warnings.filter((w) => w.startsWith("Ignored")), [
    'Ignored PORT (environment): "port" is 4000 from port in "config.ts", which outranks it',
    'Ignored WEB_CONCURRENCY (environment): "workers" is 2 from -w (command line), which outranks it',
  ]);
  const bound = await resolved({ env: platform, args: ["-b", "127.0.0.1:5000"] });
  assertEquals(bound.warnings.filter((w) => w.startsWith("Ignored")), [
    'Ignored PORT (environment): "bind" from -b (command line) outranks it',
  ]);
  // A bind entry without a port takes Herd's own (the default here), not the platform's.
  const portless = await resolved({ env: platform, args: ["-b", "127.0.0.1"] });
  assertEquals(portless.warnings.filter((w) => w.startsWith("Ignored")), [
    'Ignored PORT (environment): "bind" from -b (command line) outranks it; its entries without a port take "port" 8080',
  ]);
  // `--bind 0.0.0.0:$PORT`, the PaaS idiom: the platform's value is used, nothing to say.
  const same = await resolved({ env: platform, args: ["-b", "0.0.0.0:3000"] });
  assertEquals(same.warnings.filter((w) => w.startsWith("Ignored")), []);
  const agreeing = await resolved({ env: { PORT: "4000", HERD_PORT: "4000" } });
  assertEquals(agreeing.warnings.filter((w) => w.startsWith("Ignored")), [], "the same value");
  // Not read when they do not apply, so another program's odd values do not stop Herd.
  const unused = await resolved({
    env: { PORT: "abc", WEB_CONCURRENCY: "x" },
    args: ["--port", "9000", "-w", "2"],
  });
  assertEquals([unused.settings.port, unused.settings.workers], [9000, 2]);
  assertEquals((await problems({ env: { PORT: "abc" } })).length, 1, "judged when it applies");
  // Under a bind of Herd's own, PORT and HOST are unused: named in a warning, not judged.
  const underBind = await resolved({ env: { PORT: "abc" }, args: ["-b", "127.0.0.1:5000"] });
  assertEquals(underBind.warnings.filter((w) => w.startsWith("Ignored")), [
    'Ignored PORT (environment): "bind" from -b (command line) outranks it',
  ]);
});

Deno.test("resolveSettings() takes [::1] as ::1 and refuses worker_permissions Deno does not have", async () => {
  assertEquals((await resolved({ args: ["--host", "[::1]"] })).settings.host, "::1");
  assertEquals(await problems({ args: ["--worker-permissions=--allow-bogus"] }), [
    'Invalid value for "worker_permissions": ["--allow-bogus"] from --worker-permissions (command line): expected Deno --allow-* flags or all, not "--allow-bogus"',
  ]);
});

Deno.test("resolveSettings() refuses a metrics_bind with a bad host or port", async () => {
  for (const bad of ["127.0.0.1:99999", "999.0.0.1:9100", "9100"]) {
    assertEquals((await problems({ args: ["--metrics-bind", bad] })).length, 1, bad);
  }
  assertEquals(
    (await resolved({ args: ["--metrics-bind", "[::1]:9100"] })).settings.metrics_bind,
    "[::1]:9100",
  );
});

Deno.test("resolveSettings() reads another prefix from --env-prefix or envPrefix", async () => {
  const env = { APP_TIMEOUT: "11", HERD_TIMEOUT: "22" };
  const cli = await resolved({ env, args: ["--env-prefix", "APP"] });
  assertEquals([cli.settings.timeout, cli.settings.env_prefix, cli.sources.env_prefix], [
    11,
    "APP",
    "cli",
  ]);
  const config = await resolved({ env, config: `export default { envPrefix: "APP" };` });
  assertEquals([config.settings.timeout, config.sources.env_prefix], [11, "config.ts"]);
  const plain = await resolved({ env });
  assertEquals(plain.settings.timeout, 22);
});

Deno.test("resolveSettings() finds config.ts through --config or the environment", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "herd_resolve_" });
  try {
    await Deno.writeTextFile(`${cwd}/other.ts`, "export default { timeout: 5 };");
    const r = await resolveSettings({ args: [], env: { HERD_CONFIG: "other.ts" }, cwd });
    assert(r.ok);
    assertEquals(r.resolved.settings.timeout, 5);
    assertEquals(r.resolved.configPath, `${cwd}/other.ts`);
    assertEquals(r.resolved.sources.config, "env");
    const missing = await resolveSettings({ args: ["-c", "nope.ts"], env: {}, cwd });
    assertEquals(missing.ok ? [] : missing.problems, [
      'Cannot find config file "nope.ts" from -c (command line)',
    ]);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("resolveSettings() reads env_file instead of ./.env", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "herd_resolve_" });
  try {
    await Deno.writeTextFile(`${cwd}/.env`, "HERD_TIMEOUT=1\n");
    await Deno.writeTextFile(`${cwd}/prod.env`, "HERD_TIMEOUT=2\n");
    const r = await resolveSettings({ args: ["--env-file", "prod.env"], env: {}, cwd });
    assert(r.ok);
    assertEquals(r.resolved.settings.timeout, 2);
    assertEquals(r.resolved.envFilePath, `${cwd}/prod.env`);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("resolveSettings() validates every value from every source and reports them all", async () => {
  assertEquals(
    await problems({
      config:
        `export default { workers: "many", profiles: { production: { port: -1 } }, on_exit: 3 };`,
      dotenv: "HERD_KEEPALIVE=forever\n",
      env: { HERD_WORKERS: "abc" },
      args: ["--timeout", "soon"],
    }),
    [
      'Invalid value for "port": -1 from profiles.production.port in "config.ts": expected an integer from 0 to 65535',
      'Invalid value for "workers": "abc" from HERD_WORKERS (environment): expected an integer from 1 to 1024, or auto',
      'Invalid value for "workers": "many" from workers in "config.ts": expected an integer from 1 to 1024, or auto',
      'Invalid value for "timeout": "soon" from --timeout (command line): expected a number of seconds from 0 to 86400',
      'Invalid value for "keepalive": "forever" from HERD_KEEPALIVE in ".env": expected a number of seconds from 0 to 3600',
      'Invalid value for "on_exit": 3 from on_exit in "config.ts": expected a function',
    ],
  );
});

Deno.test("resolveSettings() refuses an app path that is a directory, in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await problems({ args: [dir] }), [
      `App "${dir}" from APP (command line) is a directory: give the module that exports the app (app.ts)`,
    ]);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("resolveSettings() checks bind entries and the app path", async () => {
  const [app, bind] = await problems({ args: ["missing_app.ts", "--bind", "localhost:http"] });
  assertMatch(
    app,
    /^Cannot find app "missing_app\.ts" \(looked for \/\S+\/missing_app\.ts\) from APP \(command line\)$/,
  );
  assertEquals(
    bind,
    'Invalid bind "localhost:http" from --bind (command line): port must be 0 to 65535',
  );
});

Deno.test("resolveSettings() keeps hooks from config.ts", async () => {
  const { settings, sources } = await resolved({
    config: "export default { on_starting: () => {} };",
  });
  assertEquals(typeof settings.on_starting, "function");
  assertEquals([sources.on_starting, sources.on_exit], ["config.ts", "default"]);
  assertEquals(settings.on_exit, null);
});

Deno.test("resolveSettings() warns about unknown variables and risky combinations", async () => {
  const { warnings } = await resolved({
    env: { HERD_WORKRS: "2", HERD_WORKER_CLASS: "sync" },
    dotenv: "HERD_WORKER_CONNECTIONS=10\n",
  });
  assertEquals(warnings, [
    'Unknown variable "HERD_WORKRS" (environment): did you mean HERD_WORKERS?',
    '"worker_connections" from HERD_WORKER_CONNECTIONS in ".env" has no effect: it is only meaningful for async/gevent workers, and "worker_class" is sync',
  ]);
});

Deno.test("resolveSettings() warns that .env cannot choose config.ts or the .env file", async () => {
  const { warnings, configPath } = await resolved({
    dotenv: "HERD_CONFIG=other.ts\nHERD_ENV_FILE=prod.env\n",
  });
  assertEquals(configPath, null);
  assertEquals(warnings, [
    'Ignored HERD_CONFIG in ".env": "config" is decided before .env is read; set it in the environment or with --config',
    'Ignored HERD_ENV_FILE in ".env": "env_file" is decided before .env is read; set it in the environment or with --env-file',
  ]);
});

Deno.test("resolveSettings() warns that HERD_* says nothing under another prefix", async () => {
  const { warnings, settings } = await resolved({
    args: ["--env-prefix", "APP"],
    env: { HERD_WORKERS: "3", APP_TIMEOUT: "9" },
  });
  assertEquals([settings.workers, settings.timeout], ["auto", 9]);
  assertEquals(warnings, [
    'Ignored variable "HERD_WORKERS" (environment): the prefix is APP, so APP_WORKERS sets "workers"',
  ]);
});

Deno.test("resolveSettings(): under config.ts's prefix, HERD_CONFIG chose it and <PREFIX>_CONFIG is ignored", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "herd_resolve_" });
  try {
    await Deno.writeTextFile(
      `${cwd}/other2.ts`,
      'export default { envPrefix: "OTH", workers: 5 };',
    );
    await Deno.writeTextFile(`${cwd}/other.ts`, "export default { workers: 4 };");
    const r = await resolveSettings({
      args: [],
      env: { HERD_CONFIG: "other2.ts", OTH_CONFIG: "other.ts" },
      cwd,
    });
    assert(r.ok);
    assertEquals(r.resolved.settings.workers, 5);
    assertEquals(r.resolved.warnings, [
      'Ignored OTH_CONFIG (environment): "config" is decided before config.ts sets the prefix; set HERD_CONFIG or --config',
    ]);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("resolveSettings() includes stack traces only at log_level debug", async () => {
  const config = `throw new Error("boom");`;
  const quiet = await resolveIn({ config });
  assert(!quiet.ok);
  assertEquals(quiet.traces, undefined);
  const debug = await resolveIn({ config, args: ["--log-level", "debug"] });
  assert(!debug.ok);
  assertEquals(debug.problems, ['Cannot load config file "config.ts": boom']);
  assertEquals(debug.traces?.length, 1);
});

Deno.test("resolveSettings() hands out defaults that callers may change", async () => {
  const first = await resolved({});
  first.settings.bind.push("x:1");
  assertEquals((await resolved({})).settings.bind, []);
});

Deno.test("resolveSettings() takes an empty value as off, not as the default", async () => {
  const fromCli = await resolved({ args: ["--access-log="] });
  assertEquals(fromCli.settings.access_log, null);
  assertEquals(fromCli.sources.access_log, "cli");
  const fromEnv = await resolved({ env: { HERD_ACCESS_LOG: "" } });
  assertEquals(fromEnv.settings.access_log, null);
  const fromConfig = await resolved({ config: "export default { access_log: null };" });
  assertEquals(fromConfig.settings.access_log, null);
  assertEquals(fromConfig.sources.access_log, "config.ts");
});

Deno.test("resolveSettings() takes a blank value as the environment does, from every source", async () => {
  for (
    const scene of [
      { args: ["--access-log", " "] },
      { env: { HERD_ACCESS_LOG: " " } },
      { dotenv: "HERD_ACCESS_LOG=' '\n" },
      { config: 'export default { access_log: " " };' },
    ]
  ) {
    assertEquals((await resolved(scene)).settings.access_log, null, JSON.stringify(scene));
  }
  // A setting that cannot be off: a blank value names no file either.
  assertEquals(await problems({ args: ["--error-log", " "] }), [
    'Invalid value for "error_log": " " from --error-log (command line): expected a file path, or - for stderr',
  ]);
});

Deno.test("resolveSettings() under serve(app, config) refuses an app or config file it would ignore", async () => {
  const cwd = await Deno.makeTempDir();
  const inlineConfig = { envPrefix: "MYSVC", workers: 2 };
  const run = (args: string[], env: Record<string, string> = {}) =>
    resolveSettings({ args, env, cwd, inlineConfig });
  const ok = await run([]);
  assert(ok.ok);
  const named = await run(["other.ts", "-c", "cfg.ts"]);
  assert(!named.ok);
  assertEquals(named.problems, [
    '"config" is "cfg.ts" from -c (command line), but this program serves the app and config given to serve(): remove it',
    '"app" is "other.ts" from APP (command line), but this program serves the app and config given to serve(): remove it',
  ]);
  const fromEnv = await run([], { MYSVC_CONFIG: "cfg.ts" });
  assert(!fromEnv.ok);
  assertEquals(fromEnv.problems, [
    '"config" is "cfg.ts" from MYSVC_CONFIG (environment), but this program serves the app and config given to serve(): remove it',
  ]);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("resolveSettings() does not call a variable the access log reads unknown", async () => {
  const format = "%(h)s %({HERD_REGION}e)s";
  const logged = await resolved({
    env: { HERD_REGION: "eu-1" },
    dotenv: "HERD_ZONE=b\n",
    args: ["--access-log-format", `${format} %({HERD_ZONE}e)s`],
  });
  assertEquals(logged.warnings, []);
  const unread = await resolved({ env: { HERD_REGION: "eu-1" } });
  assertEquals(unread.warnings, ['Unknown variable "HERD_REGION" (environment)']);
});

Deno.test("resolveSettings(): host or port from a higher source than bind outranks it, with a warning", async () => {
  // --port on the command line over a bind from the environment: the port asked for is served.
  const over = await resolved({ env: { HERD_BIND: "127.0.0.1:9001" }, args: ["--port", "9002"] });
  assertEquals([over.settings.bind, over.settings.port, over.sources.bind], [[], 9002, "cli"]);
  assertEquals(over.warnings, [
    '"port" from --port (command line) outranks "bind" from HERD_BIND (environment): ' +
    "listening on 127.0.0.1:9002, not on 127.0.0.1:9001",
  ]);
  // Over a bind of that very address, nothing is lost: no warning.
  const same = await resolved({ env: { HERD_BIND: "127.0.0.1:9002" }, args: ["--port", "9002"] });
  assertEquals([same.settings.port, same.warnings], [9002, []]);
  // A bind set aside is not served: one that does not even parse is the same warning, not a
  // crash of the comparison.
  const odd = await resolved({ env: { HERD_BIND: "a::b" }, args: ["--port", "9002"] });
  assertEquals(odd.warnings, [
    '"port" from --port (command line) outranks "bind" from HERD_BIND (environment): ' +
    "listening on 127.0.0.1:9002, not on a::b",
  ]);
  // HERD_HOST over a bind in config.ts.
  const host = await resolved({
    config: 'export default { bind: ["0.0.0.0:9001"] };',
    env: { HERD_HOST: "::1" },
  });
  assertEquals(host.settings.bind, []);
  assertMatch(host.warnings.join("\n"), /listening on \[::1\]:8080, not on 0\.0\.0\.0:9001/);
  // Bind from the same or a higher source keeps its place; so does one under a platform PORT.
  for (
    const scene of <Scene[]> [
      { env: { HERD_BIND: "127.0.0.1:9001", HERD_PORT: "9002" } },
      { env: { HERD_PORT: "9002" }, args: ["--bind", "127.0.0.1:9001"] },
      { config: 'export default { bind: ["127.0.0.1:9001"] };', env: { PORT: "9002" } },
    ]
  ) {
    const kept = await resolved(scene);
    assertEquals(kept.settings.bind, ["127.0.0.1:9001"], JSON.stringify(scene));
    // The platform's PORT is named as unused (a PaaS routes to it); nothing else is said.
    const said = scene.env?.PORT
      ? ['Ignored PORT (environment): "bind" from bind in "config.ts" outranks it']
      : [];
    assertEquals(kept.warnings.filter((w) => w.includes("outranks")), said);
  }
});

Deno.test("resolveSettings(): a host or port that the bind leaves unused is named with the bind, in one warning", async () => {
  const unused = (what: string, bind = "-b (command line)", where = "127.0.0.1:9001") =>
    `Ignored ${what}: "bind" from ${bind} sets where to listen (${where})`;
  const platform = 'Ignored PORT (environment): "bind" from -b (command line) outranks it';
  const cases: [Scene, string[]][] = [
    [{ args: ["-p", "9000", "-b", "127.0.0.1:9001"] }, [
      unused('"port" 9000 from -p (command line)'),
    ]],
    [{ env: { HERD_PORT: "9000" }, args: ["--bind", "127.0.0.1:9001"] }, [
      unused('"port" 9000 from HERD_PORT (environment)', "--bind (command line)"),
    ]],
    [{ config: 'export default { port: 9000, bind: ["127.0.0.1:9001"] };' }, [
      unused('"port" 9000 from port in "config.ts"', 'bind in "config.ts"'),
    ]],
    [{
      args: ["--host", "0.0.0.0", "-p", "9000", "-b", "127.0.0.1:9001", "-b", "unix:/tmp/h.sock"],
    }, [
      unused(
        '"host" "0.0.0.0" from --host (command line) and "port" 9000 from -p (command line)',
        "-b (command line)",
        "127.0.0.1:9001, unix:/tmp/h.sock",
      ),
    ]],
    // The platform's PORT keeps its own words, not those of a port that is unused as well.
    [{ env: { PORT: "8000" }, args: ["-p", "9000", "-b", "127.0.0.1:9001"] }, [
      unused('"port" 9000 from -p (command line)'),
      platform,
    ]],
    // Nothing set aside: the bind takes the port (or the host), or says the same.
    [{ args: ["-p", "9000", "-b", "127.0.0.1"] }, []],
    [{ args: ["--host", "0.0.0.0", "-b", ":9001"] }, []],
    [{ args: ["-p", "9001", "--host", "127.0.0.1", "-b", "127.0.0.1:9001"] }, []],
    [{ args: ["-b", "127.0.0.1:9001"] }, []],
    // A port the bind takes does outrank the platform's.
    [{ env: { PORT: "8000" }, args: ["-p", "9000", "-b", "127.0.0.1"] }, [
      'Ignored PORT (environment): "port" is 9000 from -p (command line), which outranks it',
    ]],
  ];
  for (const [scene, said] of cases) {
    const r = await resolved(scene);
    assertEquals(r.settings.bind.length > 0, true, JSON.stringify(scene));
    assertEquals(r.warnings.filter((w) => w.startsWith("Ignored")), said, JSON.stringify(scene));
  }
});

Deno.test("resolveSettings(): a reload_extra_files path that does not exist is a warning (it cannot be watched)", async () => {
  const r = await resolved({
    args: ["--reload", "--reload-extra-files", "templates/missing.html"],
  });
  assertEquals(r.warnings.filter((w) => w.includes("reload_extra_files")), [
    '"reload_extra_files" from --reload-extra-files (command line) has "templates/missing.html", ' +
    "which does not exist: not watched (create it, then reload: HUP)",
  ]);
  // Without reload, nothing is watched: nothing to say.
  const off = await resolved({ args: ["--reload-extra-files", "templates/missing.html"] });
  assertEquals(off.warnings.filter((w) => w.includes("reload_extra_files")), []);
});

Deno.test({
  name: "resolveSettings() refuses a .env variable too large for a worker's environment",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // The largest that spawns (131071 bytes as BLOB=...), and one byte more.
    const fits = `BLOB=${"x".repeat(131_071 - 5)}\n`;
    assertEquals((await resolved({ dotenv: fits })).dotenv.BLOB.length, 131_066);
    assertEquals(await problems({ dotenv: `BLOB=${"x".repeat(131_072 - 5)}\n` }), [
      `Variable BLOB in ".env" is too large for the workers' environment: 131072 bytes as BLOB=VALUE, more than Linux's 131071 (MAX_ARG_STRLEN)`,
    ]);
    // The environment's own value is what workers get: the .env one is not passed on.
    const env = { BLOB: "small" };
    assertEquals((await resolved({ dotenv: `BLOB=${"x".repeat(140_000)}\n`, env })).dotenv, {});
  },
});

Deno.test("resolveSettings() takes a file mode as a number and 1/0 for a boolean from config.ts", async () => {
  const { settings } = await resolved({
    config: "export default { unix_socket_mode: 0o600, preload: 0, reload: 1 };",
  });
  assertEquals([settings.unix_socket_mode, settings.preload, settings.reload], [
    "0600",
    false,
    true,
  ]);
  assertEquals(
    await problems({ config: "export default { unix_socket_mode: 0o1000, preload: 2 };" }),
    [
      'Invalid value for "unix_socket_mode": 512 from unix_socket_mode in "config.ts": expected an octal file mode, e.g. 0660 (0o660 as a number in config.ts); 512 is 0o1000',
      'Invalid value for "preload": 2 from preload in "config.ts": expected one of true, false, 1, 0, yes, no, on, off',
    ],
  );
  // The config.ts type takes the number too.
  const typed: UserConfig = defineConfig({ unix_socket_mode: 0o660 });
  assertEquals(typed.unix_socket_mode, 432);
});

Deno.test("resolveSettings() takes a file: URL app as its path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd_resolve_app_" });
  try {
    await Deno.writeTextFile(`${dir}/my app.ts`, "export default () => new Response();\n");
    const url = `file://${dir}/my%20app.ts`;
    assertEquals((await resolved({ args: [url] })).settings.app, `${dir}/my app.ts`);
    assertEquals((await resolved({ env: { HERD_APP: url } })).settings.app, `${dir}/my app.ts`);
    assertEquals(await problems({ args: ["file://elsewhere/app.ts"] }), [
      'Invalid value for "app": "file://elsewhere/app.ts" from APP (command line): File URL host must be "localhost" or empty on linux',
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
