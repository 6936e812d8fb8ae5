/**
 * Configuration resolution: merges the five sources in precedence order,
 * validates every value with its setting's own parser, keeps the source of
 * each value, and collects every problem instead of stopping at the first.
 *
 * Precedence, rising: defaults (by profile) < config.ts < config.ts
 * `profiles[env]` < `.env` < the process environment < the command line.
 *
 * Three settings are needed before the others can be read, so they are
 * decided first: `config` (command line, then environment), `env_prefix`
 * (command line, then `envPrefix` in config.ts) and `env_file` (command
 * line, environment, config.ts). Then the profile (`env`) is decided from
 * the same sources, and its defaults apply.
 *
 * @example
 * ```ts
 * import { resolveSettings } from "./resolve.ts";
 * const resolution = await resolveSettings({
 *   args: ["--workers", "2"],
 *   env: Deno.env.toObject(),
 *   cwd: Deno.cwd(),
 * });
 * if (resolution.ok) console.log(resolution.resolved.settings.workers); // 2
 * ```
 *
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type SettingName, SETTINGS, type Settings } from "./table.ts";
import { CoerceError, defaultFor, envName, type Profile, type Setting } from "./setting.ts";
import type { Resolution, Source } from "./resolved.ts";
import {
  describeOrigin,
  formatValue,
  invalidValue,
  type Origin,
  type RawValue,
} from "./problems.ts";
import { firstLine } from "../error_text.ts";
import { checkSettings } from "./checks.ts";
import { readArgv } from "./sources/argv.ts";
import { loadConfigFile, readConfigObject } from "./sources/config_file.ts";
import { oversizedVariables, readDotenv } from "./sources/dotenv.ts";
import {
  type EnvironmentResult,
  readEnvironment,
  readPlatformVariables,
} from "./sources/environment.ts";
import { formatVariables } from "../logging/access_format.ts";
import { hostPort, parseBind } from "./addresses.ts";
import { pathExists } from "../platform/path_exists.ts";
import { hasScheme } from "../platform/file_url.ts";
import { effectiveCpuCount } from "../platform/cpus.ts";
import { inContainer, loopbackInContainerWarning } from "../platform/container.ts";

/** What resolution reads: the command line after the command word, an environment, a directory. */
export interface ResolveInput {
  /** Flags and the APP positional, after the command word. */
  args: readonly string[];
  /** The environment to read (normally `Deno.env.toObject()`). */
  env: Readonly<Record<string, string>>;
  /** The directory relative paths are resolved against. */
  cwd: string;
  /** A configuration object that takes config.ts's place (`serve(app, config)`). */
  inlineConfig?: unknown;
}

/** A value that passed its parser, and where it was written. */
interface Decided {
  value: unknown;
  origin: Origin;
}

/** Decided first, by their own rules (see the module doc). */
const BOOTSTRAP = new Set(["config", "env_prefix", "env_file", "env"]);

/**
 * Resolves the configuration. Never throws for a user mistake: every
 * problem comes back as one line in `{ ok: false, problems }`.
 *
 * @example
 * ```ts
 * import { resolveSettings } from "./resolve.ts";
 * const r = await resolveSettings({ args: ["--wokers", "2"], env: {}, cwd: "/tmp" });
 * if (!r.ok) console.error(r.problems); // ['Unknown flag "--wokers": did you mean --workers?']
 * ```
 */
export async function resolveSettings(input: ResolveInput): Promise<Resolution> {
  const { env, cwd } = input;
  const problems = new Set<string>();
  const decide = (name: string, candidates: (RawValue | undefined)[]) =>
    decideValue(name, candidates, problems);

  const cli = readArgv(input.args);
  cli.problems.forEach((p) => problems.add(p));

  // config.ts is found with the prefix the command line names, since
  // config.ts may itself change the prefix.
  const bootPrefix = decide("env_prefix", [cli.values.get("env_prefix")])?.value as string ??
    "HERD";
  const bootEnv = readEnvironment(env, { prefix: bootPrefix }).values;
  const configChoice = decide("config", [cli.values.get("config"), bootEnv.get("config")]);
  const configPath = resolve(cwd, (configChoice?.value as string | undefined) ?? "config.ts");
  const configDisplay = displayPath(cwd, configPath);
  const file = input.inlineConfig !== undefined
    ? { path: null, traces: [], ...readConfigObject(input.inlineConfig, "config given to serve()") }
    : await loadConfigFile(configPath, { display: configDisplay, explicit: configChoice?.origin });
  if ("notImported" in file && file.notImported !== undefined) {
    // Judged without config.ts's values, the rest would report problems the configuration does
    // not have (an app only config.ts names, say).
    return {
      ok: false,
      problems: file.problems,
      configPath: null,
      configNotImported: { file: configDisplay, shortage: file.notImported },
    };
  }
  file.problems.forEach((p) => problems.add(p));

  const prefixChoice = decide("env_prefix", [cli.values.get("env_prefix"), file.envPrefix]);
  const prefix = (prefixChoice?.value as string | undefined) ?? "HERD";
  const processEnv = readEnvironment(env, { prefix });
  if (prefix !== "HERD") {
    // Under another prefix, Herd's own names say nothing: a HERD_WORKERS would be lost silently.
    for (const name of readEnvironment(env, { prefix: "HERD" }).values.keys()) {
      // Read before config.ts could change the prefix: it chose that config.ts.
      if (name === "config" && bootPrefix === "HERD") continue;
      processEnv.warnings.push(
        `Ignored variable "${envName(name, "HERD")}" (environment): the prefix is ${prefix}, so ${
          envName(name, prefix)
        } sets "${name}"`,
      );
    }
  }

  const lateConfig = processEnv.values.get("config");
  if (prefix !== bootPrefix && lateConfig !== undefined && input.inlineConfig === undefined) {
    processEnv.warnings.push(
      `Ignored ${describeOrigin(lateConfig.origin)}: "config" is decided before config.ts ` +
        `sets the prefix; set ${envName("config", bootPrefix)} or --config`,
    );
  }

  const envFileChoice = decide("env_file", [
    cli.values.get("env_file"),
    processEnv.values.get("env_file"),
    file.top.get("env_file"),
  ]);
  const explicitEnvFile = envFileChoice?.value as string | null | undefined;
  const dotenvPath = resolve(cwd, explicitEnvFile ?? ".env");
  const dotenvDisplay = displayPath(cwd, dotenvPath);
  const dotenv = await readDotenv(dotenvPath, {
    display: dotenvDisplay,
    explicit: explicitEnvFile ? envFileChoice?.origin : undefined,
  });
  dotenv.problems.forEach((p) => problems.add(p));
  // A .env file never overrides what the environment already says (an empty variable says
  // nothing: it counts as unset).
  const added = Object.fromEntries(
    Object.entries(dotenv.variables).filter(([key]) => (env[key] ?? "").trim() === ""),
  );
  oversizedVariables(added, dotenvDisplay).forEach((p) => problems.add(p));
  const dotenvEnv = readEnvironment(added, { prefix, dotenvFile: dotenvDisplay });
  // Where settings come from is decided before .env is read: there they would say nothing.
  for (const name of ["config", "env_file"] as const) {
    const value = dotenvEnv.values.get(name);
    if (value === undefined) continue;
    dotenvEnv.warnings.push(
      `Ignored ${describeOrigin(value.origin)}: "${name}" is decided before .env is read; ` +
        `set it in the environment or with --${name.replace("_", "-")}`,
    );
  }
  const platform = new Map([
    ...readPlatformVariables(added, { dotenvFile: dotenvDisplay, warnings: dotenvEnv.warnings }),
    ...readPlatformVariables(env, { warnings: processEnv.warnings }),
  ]);

  const profileChoice = decide("env", [
    cli.values.get("env"),
    processEnv.values.get("env"),
    dotenvEnv.values.get("env"),
    file.top.get("env"),
  ]);
  const profile = (profileChoice?.value as Profile | undefined) ?? "development";
  const inactive: Profile = profile === "production" ? "development" : "production";

  const winners = new Map<string, Decided>();
  const keep = (name: string, choice: Decided | undefined) => choice && winners.set(name, choice);
  keep("config", configChoice);
  keep("env_prefix", prefixChoice);
  keep("env_file", envFileChoice);
  keep("env", profileChoice);
  const herdChoice = (name: string) =>
    decide(name, [
      cli.values.get(name),
      processEnv.values.get(name),
      dotenvEnv.values.get(name),
      file.profiles[profile].get(name),
      file.top.get(name),
    ]);
  // A bind of Herd's own takes the place of host and port: the platform's are then unused.
  const bindChoice = herdChoice("bind");
  const bound = ((bindChoice?.value as string[] | undefined) ?? []).length > 0;
  for (const { name } of SETTINGS) {
    if (BOOTSTRAP.has(name)) continue;
    const unused = bound && (name === "host" || name === "port");
    keep(
      name,
      (name === "bind" ? bindChoice : herdChoice(name)) ??
        // PORT, HOST, WEB_CONCURRENCY belong to the platform: read (and judged) only when
        // nothing of Herd's configures the setting.
        (unused ? undefined : decide(name, [platform.get(name)])),
    );
    // Validated too, so a typo in the other profile shows up before deploy.
    decide(name, [file.profiles[inactive].get(name)]);
  }

  if (input.inlineConfig !== undefined) {
    // Its own prefix's variable too (BIOREMPP_CONFIG), which the config.ts lookup never reads.
    const config = cli.values.get("config") ?? bootEnv.get("config") ??
      processEnv.values.get("config");
    const app = winners.get("app");
    ignoredByServe([
      { name: "config", value: config?.raw, origin: config?.origin },
      { name: "app", value: app?.value, origin: app?.origin },
    ]).forEach((p) => problems.add(p));
  }

  const settings = Object.fromEntries(
    // `has`, not `??`: an explicit null (an empty value: "off") must not become the default.
    SETTINGS.map((
      s,
    ) => [s.name, winners.has(s.name) ? winners.get(s.name)!.value : defaultCopy(s, profile)]),
  ) as unknown as Settings;
  const origins = new Map([...winners].map(([name, { origin }]) => [name, origin]));
  const overBind = addressOverBind(settings, origins, platform);
  const outrankedBind = overBind && { by: overBind.by, origin: origins.get("bind")! };
  if (overBind !== null) {
    settings.bind = [];
    origins.set("bind", overBind.origin);
  }

  const appPath = filePathOfApp(settings.app, origins.get("app"));
  if (typeof appPath === "string") settings.app = appPath;
  else if (appPath !== null) problems.add(appPath.problem);

  // A program around serve() serves its own app (an app named anyway is refused above).
  const appProblem = input.inlineConfig === undefined
    ? await checkAppExists(settings.app, { cwd, origin: origins.get("app") })
    : null;
  if (appProblem) problems.add(appProblem);
  const checks = checkSettings({
    settings,
    origins,
    cpuCount: effectiveCpuCount(),
    standalone: Deno.build.standalone,
    cwd: Deno.cwd(),
  });
  checks.problems.forEach((p) => problems.add(p));

  if (problems.size > 0) {
    const traces = settings.log_level === "debug" ? file.traces : [];
    return {
      ok: false,
      problems: [...problems],
      ...(traces.length ? { traces } : {}),
      configPath: file.path,
    };
  }
  const sources = Object.fromEntries(
    SETTINGS.map((s) => [s.name, (origins.get(s.name)?.source ?? "default") as Source]),
  ) as Record<SettingName, Source>;
  return {
    ok: true,
    resolved: {
      settings,
      sources,
      origins,
      ...(outrankedBind ? { outrankedBind } : {}),
      configPath: file.path,
      envFilePath: dotenv.path,
      dotenv: added,
      warnings: [
        ...knownToTheLog(processEnv, settings.access_log_format),
        ...dotenv.warnings,
        ...knownToTheLog(dotenvEnv, settings.access_log_format),
        ...checks.warnings,
        ...unwatchable(settings, cwd, origins),
        ...(overBind?.warning ? [overBind.warning] : []),
        ...unusedUnderBind(settings, origins),
        ...platformOutranked(
          platform,
          winners,
          settings.bind.length > 0 ? origins : null,
          settings,
        ),
        ...containerWarnings(settings, prefix, origins),
      ],
    },
  };
}

/**
 * A platform's `PORT`, `HOST` or `WEB_CONCURRENCY` that Herd's own configuration outranks, with
 * another value: on a PaaS the platform routes to its `PORT`, and a config.ts `port` that wins
 * would make the service unreachable without a word.
 */
function platformOutranked(
  platform: ReadonlyMap<string, RawValue>,
  winners: ReadonlyMap<string, Decided>,
  /** The origins of the settings, when a `bind` is in effect (it takes over host and port). */
  bound: ReadonlyMap<string, Origin> | null,
  settings: Pick<Settings, "bind" | "host" | "port">,
): string[] {
  const binds = settings.bind;
  const warnings: string[] = [];
  for (const [name, given] of platform) {
    const winner = winners.get(name);
    const bind = bound?.get("bind");
    // Unread under a bind (see resolveSettings), which says where to listen: the host or port
    // of Herd's own that outranks it is unused too, unless the bind takes it (`-b 0.0.0.0`), and
    // is named apart (unusedUnderBind).
    if (
      bind !== undefined && name !== "workers" &&
      (bound?.get(name) === undefined || !bindTakes(binds, name))
    ) {
      if (!bindUses(binds, name, String(given.raw).trim())) {
        // `-b 127.0.0.1` takes a port all the same: say which, or PORT seems to be it.
        const taken = bindTakes(binds, name)
          ? `; its entries without a ${name} take "${name}" ${
            formatValue(settings[name as "host" | "port"])
          }`
          : "";
        warnings.push(
          `Ignored ${describeOrigin(given.origin)}: "bind" from ${describeOrigin(bind)} ` +
            `outranks it${taken}`,
        );
      }
      continue;
    }
    if (winner === undefined || winner.origin === given.origin) continue;
    if (String(winner.value) === String(given.raw).trim()) continue;
    warnings.push(
      `Ignored ${describeOrigin(given.origin)}: "${name}" is ${formatValue(winner.value)} from ` +
        `${describeOrigin(winner.origin)}, which outranks it`,
    );
  }
  return warnings;
}

// `--bind 0.0.0.0:$PORT`: the platform's value is in the bind, so it is not ignored.
function bindUses(binds: readonly string[], name: string, value: string): boolean {
  return binds.some((entry) => {
    try {
      const address = parseBind(entry);
      if (address.transport !== "tcp") return false;
      return name === "port"
        ? String(address.port) === value
        : address.hostname === value.replace(/^\[(.*)\]$/, "$1");
    } catch {
      return false;
    }
  });
}

// `-b 0.0.0.0` or `-b :9000`: an entry without a host or a port takes the setting's.
function bindTakes(binds: readonly string[], name: string): boolean {
  return binds.some((entry) => {
    try {
      // Told apart by parsing with two sets of defaults: what differs came from them.
      const [a, b] = [
        parseBind(entry, { hostname: "127.0.0.1", port: 1 }),
        parseBind(entry, { hostname: "::1", port: 2 }),
      ];
      if (a.transport !== "tcp" || b.transport !== "tcp") return false;
      return name === "port" ? a.port !== b.port : a.hostname !== b.hostname;
    } catch {
      return false;
    }
  });
}

/**
 * A `host` or `port` of Herd's own (from config.ts, `.env`, the environment or a flag) that the
 * `bind` in effect leaves unused: `-p 9000 -b 127.0.0.1:9001` listens on 9001 alone. Gunicorn
 * knows only `bind`, and Herd's takes the place of host and port as Gunicorn's does (unless one
 * of them comes from a higher source: {@linkcode addressOverBind}); the value it sets aside is
 * named with the bind's, not dropped without a word.
 */
function unusedUnderBind(settings: Settings, origins: ReadonlyMap<string, Origin>): string[] {
  const bind = origins.get("bind");
  if (settings.bind.length === 0 || bind === undefined) return [];
  const unused = (["host", "port"] as const).flatMap((name) => {
    const origin = origins.get(name);
    const value = settings[name];
    if (origin === undefined || bindTakes(settings.bind, name)) return [];
    // Given both ways (`-p 9001 -b 127.0.0.1:9001`): nothing set aside.
    if (bindUses(settings.bind, name, String(value))) return [];
    return [`"${name}" ${formatValue(value)} from ${describeOrigin(origin)}`];
  });
  if (unused.length === 0) return [];
  return [
    `Ignored ${unused.join(" and ")}: "bind" from ${describeOrigin(bind)} sets where to listen ` +
    `(${settings.bind.join(", ")})`,
  ];
}

/** `reload_extra_files` that are not there: a path created later would never reload. */
function unwatchable(
  settings: Settings,
  cwd: string,
  origins: ReadonlyMap<string, Origin>,
): string[] {
  if (!settings.reload) return [];
  const missing = settings.reload_extra_files.filter((path) => !pathExists(resolve(cwd, path)));
  if (missing.length === 0) return [];
  const origin = origins.get("reload_extra_files");
  const from = origin === undefined ? "" : ` from ${describeOrigin(origin)}`;
  const paths = missing.map((p) => `"${p}"`).join(", ");
  return [
    `"reload_extra_files"${from} has ${paths}, which does not exist: not watched ` +
    "(create it, then reload: HUP)",
  ];
}

const PRECEDENCE: Record<Source, number> = {
  default: 0,
  "config.ts": 1,
  ".env": 2,
  env: 3,
  cli: 4,
};

/**
 * `host` or `port` given with a higher precedence than `bind` (`--port` over a `bind` in
 * config.ts or the environment, say) is the address asked for: bind's addresses give way,
 * with a warning that says so. Without this, `bind` won whatever the sources, and `--port`
 * was ignored without a word. A platform's `PORT` or `HOST` never outranks a `bind`: they
 * apply only where nothing of Herd's sets the address (as Gunicorn reads `PORT`).
 */
function addressOverBind(
  settings: Settings,
  origins: ReadonlyMap<string, Origin>,
  platform: ReadonlyMap<string, RawValue>,
): { by: "host" | "port"; origin: Origin; warning: string | null } | null {
  const bind = origins.get("bind");
  if (settings.bind.length === 0 || bind === undefined) return null;
  const rank = (name: "host" | "port") => {
    const origin = origins.get(name);
    const fromPlatform = origin !== undefined && platform.get(name)?.origin === origin;
    return origin === undefined || fromPlatform ? 0 : PRECEDENCE[origin.source];
  };
  const name = rank("port") >= rank("host") ? "port" : "host";
  if (rank(name) <= PRECEDENCE[bind.source]) return null;
  const origin = origins.get(name)!;
  const listening = hostPort({ hostname: settings.host, port: settings.port });
  // A bind of that very address (`-p 8000` over `bind: ["127.0.0.1:8000"]`) loses nothing.
  // One set aside is never checked: it may not parse (`a::b`), and differs then.
  const same = settings.bind.every((entry) => {
    try {
      const address = parseBind(entry, { hostname: settings.host, port: settings.port });
      return address.transport === "tcp" && hostPort(address) === listening;
    } catch {
      return false;
    }
  });
  return {
    by: name,
    origin,
    warning: same
      ? null
      : `"${name}" from ${describeOrigin(origin)} outranks "bind" from ${
        describeOrigin(bind)
      }: listening on ${listening}, not on ${settings.bind.join(", ")}`,
  };
}

/**
 * Parses every candidate (highest precedence first) so that each bad value
 * is reported, and returns the first that parsed.
 */
function decideValue(
  name: string,
  candidates: (RawValue | undefined)[],
  problems: Set<string>,
): Decided | undefined {
  const setting = SETTINGS.find((s) => s.name === name);
  if (setting === undefined) throw new Error(`Unknown setting "${name}"`);
  let winner: Decided | undefined;
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      const value = setting.parse(candidate.raw);
      winner ??= { value, origin: candidate.origin };
    } catch (error) {
      if (!(error instanceof CoerceError)) throw error;
      problems.add(invalidValue({ name, ...candidate, accepted: error.accepted }));
    }
  }
  return winner;
}

function defaultCopy(setting: Setting<string, unknown>, profile: Profile): unknown {
  const value = defaultFor(setting, profile);
  // Defaults are shared table data: hand out copies that callers may change.
  return Array.isArray(value) ? [...value] : value;
}

/**
 * The path a `file:` URL app names (null for any other app), so that the workers' read
 * permission, `check` and the reloader all see a path: the workers were granted the
 * directory of a path only, and the URL's import failed for want of read access.
 */
function filePathOfApp(
  app: string | null,
  origin: Origin | undefined,
): string | { problem: string } | null {
  if (app === null || !/^file:/i.test(app)) return null;
  try {
    return fileURLToPath(app);
  } catch (error) {
    const where = origin === undefined ? "" : ` from ${describeOrigin(origin)}`;
    return { problem: `Invalid value for "app": "${app}"${where}: ${firstLine(error)}` };
  }
}

async function checkAppExists(
  app: string | null,
  context: { cwd: string; origin: Origin | undefined },
): Promise<string | undefined> {
  // A URL or a registry specifier (`npm:`, `https:`) is for the importer to judge.
  if (app === null || hasScheme(app)) return undefined;
  const from = context.origin ? ` from ${describeOrigin(context.origin)}` : "";
  try {
    const info = await Deno.stat(resolve(context.cwd, app));
    return info.isDirectory
      ? `App "${app}"${from} is a directory: give the module that exports the app (app.ts)`
      : undefined;
  } catch (error) {
    // `deno task` runs from the directory of deno.json, not the shell's: say where it looked.
    const where = isAbsolute(app) ? "" : ` (looked for ${resolve(context.cwd, app)})`;
    return error instanceof Deno.errors.NotFound
      ? `Cannot find app "${app}"${where}${from}`
      : `Cannot read app "${app}"${from}: ${firstLine(error)}`;
  }
}

// Gunicorn's most common Docker pitfall: listening on loopback inside a container. Only
// production warns: development (127.0.0.1 by default) in a dev container is deliberate.
function containerWarnings(
  settings: Settings,
  prefix: string,
  origins: ReadonlyMap<string, Origin>,
): string[] {
  if (settings.env !== "production") return [];
  const hosts = settings.bind.length === 0
    ? [settings.host]
    : settings.bind.filter((b) => !b.startsWith("unix:")).map((b) =>
      b.slice(0, b.lastIndexOf(":")) || settings.host
    );
  if (!hosts.some((h) => loopbackInContainerWarning(h, true) !== null)) return [];
  const inside = inContainer();
  const origin = origins.get(settings.bind.length === 0 ? "host" : "bind");
  const from = origin === undefined ? undefined : describeOrigin(origin);
  return hosts.map((h) => loopbackInContainerWarning(h, inside, prefix, from))
    .filter((w): w is string => w !== null).slice(0, 1);
}

/**
 * `path` as messages show it: relative to `cwd` when inside it, else absolute.
 *
 * @example
 * ```ts
 * import { displayPath } from "./resolve.ts";
 * displayPath("/srv/app", "/srv/app/config.ts"); // "config.ts"
 * displayPath("/srv/app", "/etc/herd/config.ts"); // "/etc/herd/config.ts"
 * ```
 */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

// A program around serve(app, config) serves that app with that config: an app or a config
// file named to it would be ignored without a word.
function ignoredByServe(
  given: { name: string; value: unknown; origin: Origin | undefined }[],
): string[] {
  return given.filter(({ value, origin }) => origin !== undefined && value !== null && value !== "")
    .map(({ name, value, origin }) =>
      `"${name}" is ${JSON.stringify(value)} from ${describeOrigin(origin!)}, ` +
      `but this program serves the app and config given to serve(): remove it`
    );
}

// The warnings of `read`, less "Unknown variable" for those the access log format reads.
function knownToTheLog(read: EnvironmentResult, format: string): string[] {
  const logged = new Set(formatVariables(format).map((v) => read.unknown.get(v)));
  return read.warnings.filter((warning) => !logged.has(warning));
}
