/**
 * The command table and dispatcher behind `main.ts`.
 *
 * ```sh
 * herd [serve] [APP] [flags]   # the default command
 * herd check [APP] [flags]     # validate the config, import the app, exit
 * herd config [--json]         # effective settings with their sources
 * herd status [--json]         # ask the running master
 * herd reopen-logs             # tell the running master to reopen its logs
 * ```
 *
 * Every command resolves the configuration first; problems are printed one
 * per line (`error: …`) and exit with 2. Stack traces are shown only when
 * `log_level` is `debug`. (A worker never comes here: it starts from
 * `src/worker/entry.ts`, or `main.ts` and `serve()` send `__worker` straight
 * to `src/worker/worker.ts`.)
 *
 * The master and the control client are loaded with dynamic imports, so
 * `config` and `check` load neither.
 *
 * @example
 * ```ts
 * import { runCli } from "./commands.ts";
 * Deno.exit(await runCli(["config", "--json"]));
 * ```
 *
 * @module
 */
import { releaseEarlySignals } from "../platform/early_signals.ts";
import { displayPath, resolveSettings } from "../settings/resolve.ts";
import { knownFlags, readArgv } from "../settings/sources/argv.ts";
import { formatValue } from "../settings/problems.ts";
import type { Resolved } from "../settings/resolved.ts";
import { firstLine, withUserStack } from "../error_text.ts";
import { catchStrayErrors, refuseExitUntilDisposed } from "../platform/guard_user_code.ts";
import { getLog } from "../logging/log.ts";
import { logTarget } from "../logging/line_writer.ts";
import { VERSION } from "../version.ts";
import { renderHelp } from "./help.ts";
import { didYouMean } from "./did_you_mean.ts";
import { configJson, configTable } from "./config_command.ts";
import { runCheck } from "./check_command.ts";
import type { Embedded } from "../embedded.ts";

/** What a command receives once the configuration is resolved. */
interface CommandContext {
  resolved: Resolved;
  /** The arguments after the command word, as given. */
  args: string[];
  /** True when `--json` was given. */
  json: boolean;
  cwd: string;
  /** Set when a program embeds Herd with `serve(app, config)`. */
  embedded?: Embedded;
  /** How many stray errors (config.ts's timers and promises) were reported so far. */
  strays: () => number;
}

/** One command: its usage line, summary and body. */
interface Command {
  name: string;
  usage: string;
  summary: string;
  /**
   * True for commands that only talk to a running master: the configuration's warnings are
   * about serving, and printed on every run (logrotate's, cron's) they would be noise.
   */
  quiet?: boolean;
  run(context: CommandContext): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  {
    name: "serve",
    usage: "[serve] [APP] [flags]",
    summary: "Start the master and its workers (the default command)",
    run: async ({ resolved, args, embedded }) => {
      const { runMaster } = await import("../master/master.ts");
      return await runMaster(resolved, args, { embedded });
    },
  },
  {
    name: "check",
    usage: "check [APP] [flags]",
    summary: "Validate the configuration and import the app, then exit",
    run: ({ resolved, cwd, embedded, strays }) => runCheck(resolved, { cwd, embedded, strays }),
  },
  {
    name: "config",
    usage: "config [APP] [--json] [flags]",
    summary: "Print the effective configuration and the source of each value",
    run: ({ resolved, json, embedded }) => {
      console.log(
        (json ? configJson : configTable)(resolved, { embedded: embedded !== undefined }),
      );
      return Promise.resolve(0);
    },
  },
  {
    name: "status",
    usage: "status [--json] [flags]",
    summary: "Ask the running master for its workers and counters",
    quiet: true,
    run: async ({ resolved, json }) => {
      const { runStatus } = await import("./control_commands.ts");
      return await runStatus(resolved, { json });
    },
  },
  {
    name: "reopen-logs",
    usage: "reopen-logs [flags]",
    summary: "Tell the running master and workers to reopen their log files",
    quiet: true,
    run: async ({ resolved }) => {
      const { runReopenLogs } = await import("./control_commands.ts");
      return await runReopenLogs(resolved);
    },
  },
];

const HELP_FLAGS = new Set(["--help", "-h"]);
const VERSION_FLAGS = new Set(["--version", "-V"]);

/**
 * Runs the command `args` names and returns the process exit code.
 *
 * @example
 * ```ts
 * import { runCli } from "./commands.ts";
 * await runCli(["--version"]); // prints "herd 0.1.0 (deno 2.9.6)", returns 0
 * ```
 */
export async function runCli(
  args: string[],
  context: { embedded?: Embedded } = {},
): Promise<number> {
  try {
    return await dispatch(args, context);
  } catch (error) {
    // A denial narrower than the up-front check sees (`--deny-read=/etc`, say): one line
    // too, not Deno's stack trace.
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    return withoutPermission(firstLine(error).replace(/, run again with .*$/, ""));
  }
}

function withoutPermission(reason: string): number {
  console.error(`error: Herd needs every permission: run it with -A (deno run -A): ${reason}`);
  return 2;
}

// What the master does: read the environment and files, write logs and sockets, listen,
// spawn workers, read the CPU count and its own uid. (FFI is optional: the SIGUSR1 guard.)
const NEEDED = ["env", "read", "write", "net", "run", "sys"] as const;

/** The permissions of {@linkcode NEEDED} this process was not granted in full. */
function missingPermissions(): string[] {
  return NEEDED.filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
}

async function dispatch(args: string[], context: { embedded?: Embedded }): Promise<number> {
  const named = COMMANDS.find((c) => c.name === args[0]);
  const command = named ?? COMMANDS[0];
  const rest = named ? args.slice(1) : args;
  // Only a master has use for a HUP or a TTIN held since the first line (it replays them).
  if (command.name !== "serve") releaseEarlySignals();
  const options = beforeTerminator(rest);
  // As `--help`, anywhere: `deno task serve --version` puts it after the command.
  if (options.some((a) => VERSION_FLAGS.has(a))) {
    console.log(`herd ${VERSION} (deno ${Deno.version.deno})`);
    return 0;
  }
  // `herd help` as many CLIs have it; an app file named "help" would be written ./help.
  if (options.some((a) => HELP_FLAGS.has(a)) || (!named && args[0] === "help")) {
    // A program built around serve(app, config) reads its own prefix's variables, and its
    // config object, not a config.ts, comes between the defaults and them.
    const prefix = context.embedded?.config.envPrefix;
    console.log(renderHelp({
      commands: COMMANDS,
      ...(typeof prefix === "string" ? { prefix } : {}),
      embedded: context.embedded !== undefined,
    }));
    return 0;
  }
  // Checked up front: a missing one would otherwise surface as whichever call needs it first,
  // after the banner even (a worker that cannot be spawned, exit 3).
  const missing = missingPermissions();
  if (missing.length > 0) return withoutPermission(`without ${missing.join(", ")} access`);
  const mistyped = named ? undefined : mistypedCommand(args[0]);
  if (mistyped !== undefined) {
    console.error(`error: Unknown command "${args[0]}": did you mean ${mistyped}?`);
    return 2;
  }
  const takesJson = command.name === "config" || command.name === "status";
  // `--json` is the command's flag, not a setting's: the settings parser cannot suggest it.
  const jsonTypo = takesJson
    ? options.find((a) => /^--\w+$/.test(a) && a !== "--json" && didYouMean(a, ["--json"]))
    : undefined;
  if (jsonTypo !== undefined && !knownFlags().includes(jsonTypo)) {
    console.error(`error: Unknown flag "${jsonTypo}": did you mean --json?`);
    return 2;
  }
  const json = takesJson && options.includes("--json");
  const settingArgs = json ? withoutFirst(rest, "--json") : rest;
  return await runResolved(command, { args: settingArgs, json, embedded: context.embedded });
}

async function runResolved(
  command: Command,
  input: { args: string[]; json: boolean; embedded?: Embedded },
): Promise<number> {
  // `status extra` would otherwise be judged as an app that cannot be found.
  const app = readArgv(input.args).values.get("app");
  if (!command.usage.includes("[APP]") && app !== undefined) {
    console.error(`error: "${command.name}" takes no app, but was given ${formatValue(app.raw)}`);
    return 2;
  }
  // A timer or promise of config.ts (or of a hook) that fails later: the master logs it and
  // serves on; any other command reports it and fails, as a check must. It is named as other
  // config errors name it, by its path: one that fails while resolution reads the file (a
  // rejected promise) waits for resolution to say which file that was.
  const cwd = Deno.cwd();
  let strays = 0;
  let suspect: string | undefined;
  const held: [string, unknown][] = [];
  const report = (message: string, error: unknown) => {
    if (command.name !== "serve") return console.error(`error: ${message} (${suspect}?)`);
    getLog("master").error(`${message} (${suspect} or a hook?); serving on`, {
      error: withUserStack(error) ?? error,
    });
  };
  using _strays = catchStrayErrors((message, error) => {
    strays++;
    if (suspect === undefined) held.push([message, error]);
    else report(message, error);
  });
  const suspected = (configPath: string | null) => {
    // No config file read: the program's own code (serve()'s config) is what runs then.
    suspect = configPath === null
      ? "from the program's own code"
      : `from "${displayPath(cwd, configPath)}"`;
    for (const [message, error] of held.splice(0)) report(message, error);
  };
  // Whatever config.ts or a hook left running (a timer, a promise, a config.ts import that
  // outlived its time limit) must not end the master either: its Deno.exit() throws, and the
  // throw is a stray error above. Herd's own exit is exitProcess (main.ts).
  using _exits = refuseExitUntilDisposed((call) => `${call} refused: only a signal stops Herd`);
  const resolution = await resolveSettings({
    args: input.args,
    env: Deno.env.toObject(),
    cwd,
    inlineConfig: input.embedded?.config,
  });
  if (!resolution.ok) {
    for (const problem of resolution.problems) console.error(`error: ${problem}`);
    for (const trace of resolution.traces ?? []) console.error(trace);
    suspected(resolution.configPath);
    return 2;
  }
  const { resolved } = resolution;
  suspected(resolved.configPath);
  // `serve` logs them to the error log too: once is enough when that is this stderr.
  const logged = command.name === "serve" &&
    logTarget(resolved.settings.error_log, "stderr") === "stderr";
  const warn = () => {
    for (const warning of resolved.warnings) console.error(`warning: ${warning}`);
  };
  if (!logged && !command.quiet) warn();
  try {
    const code = await command.run({
      resolved,
      args: input.args,
      json: input.json,
      cwd,
      embedded: input.embedded,
      strays: () => strays,
    });
    if (command.quiet && code !== 0) warn();
    return code === 0 && strays > 0 && command.name !== "serve" ? 2 : code;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    console.error(`error: ${firstLine(error)}`);
    if (resolved.settings.log_level === "debug" && error instanceof Error && error.stack) {
      console.error(error.stack);
    }
    return 1;
  }
}

/** `herd stauts` is a typo, not an app called "stauts". */
function mistypedCommand(first: string | undefined): string | undefined {
  if (first === undefined || first.startsWith("-") || /[./\\]/.test(first)) return undefined;
  return didYouMean(first, COMMANDS.map((c) => c.name));
}

function beforeTerminator(args: string[]): string[] {
  const end = args.indexOf("--");
  return end === -1 ? args : args.slice(0, end);
}

function withoutFirst(args: string[], flag: string): string[] {
  const i = args.indexOf(flag);
  return [...args.slice(0, i), ...args.slice(i + 1)];
}
