/**
 * The options of the scripts behind `deno task` (bench, fuzz, compile, …):
 * `node:util`'s `parseArgs`, with `--help` printing their options and
 * defaults, and a bad option one `error:` line and exit 2, not parseArgs'
 * uncaught TypeError and its stack.
 *
 * ```sh
 * deno task bench --help      # usage, exit 0
 * deno task bench --wokers 4  # error: Unknown option '--wokers': did you mean --workers? ...
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { didYouMean } from "../src/cli/did_you_mean.ts";
import { firstLine } from "../src/error_text.ts";

/** One option, as `parseArgs` takes it. */
export interface ScriptOption {
  /** A string takes a value; a boolean is a switch. */
  type: "string" | "boolean";
  /** The value when the option is not given, shown by `--help`. */
  default?: string | boolean;
}

/**
 * `args` parsed against `options` for the script `deno task <task>` runs.
 * `--help` (or `-h`) prints the usage and exits 0; an unknown option, a
 * missing value, a stray argument or a value that is not a positive number for an
 * option whose default is one prints one line and exits 2.
 *
 * @example
 * ```ts
 * import { parseScriptArgs } from "./script_args.ts";
 * const values = parseScriptArgs("bench", {
 *   seconds: { type: "string", default: "5" },
 *   write: { type: "boolean", default: false },
 * });
 * Number(values.seconds); // 5, or what --seconds gave
 * ```
 */
export function parseScriptArgs<const O extends Record<string, ScriptOption>>(
  task: string,
  options: O,
  args: string[] = Deno.args,
): ReturnType<typeof parseArgs<{ args: string[]; options: O }>>["values"] {
  // Only before `--`: what follows is passed on (bench:slowloris --herd-args -- --help).
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (own.includes("--help") || own.includes("-h")) {
    console.log(scriptUsage(task, options));
    Deno.exit(0);
  }
  try {
    const { values } = parseArgs({ args, options });
    // An option whose default is a positive number takes one: `--rounds abc` would run a whole
    // benchmark to print NaN.
    for (const [name, option] of Object.entries(options)) {
      const value = (values as Record<string, unknown>)[name];
      const numeric = typeof option.default === "string" && NUMBER.test(option.default);
      // Whole when the default is: wrk takes whole seconds (`-d1.5s` is refused), and a count
      // of rounds or connections is whole.
      const whole = numeric && WHOLE.test(option.default as string);
      if (numeric && typeof value === "string" && !(whole ? WHOLE : NUMBER).test(value)) {
        const kind = whole ? "a positive whole number" : "a positive number";
        console.error(`error: --${name} takes ${kind}, not "${value}" (default ${option.default})`);
        Deno.exit(2);
      }
    }
    return values;
  } catch (error) {
    // parseArgs' own errors have a code; anything else is a bug, with its stack.
    if (!String((error as { code?: unknown })?.code).startsWith("ERR_PARSE_ARGS_")) throw error;
    const unknown = /^Unknown option '(--[^']+)'/.exec(firstLine(error))?.[1];
    const suggestion = unknown && didYouMean(unknown, Object.keys(options).map((o) => `--${o}`));
    const hint = suggestion ? `: did you mean ${suggestion}?` : "";
    console.error(`error: ${firstLine(error)}${hint} (deno task ${task} --help lists the options)`);
    Deno.exit(2);
  }
}

// A positive number: every number option of the task scripts counts something (rounds,
// seconds, connections, workers).
const NUMBER = /^(?!0+(\.0+)?$)\d+(\.\d+)?$/;
const WHOLE = /^(?!0+$)\d+$/;

/**
 * The `--help` text: one line per option, with its default.
 *
 * @example
 * ```ts
 * import { scriptUsage } from "./script_args.ts";
 * scriptUsage("fuzz", { seconds: { type: "string", default: "20" } });
 * // "Usage: deno task fuzz [options]\n\nOptions:\n  --seconds <value>  (default: 20)\n  -h, --help  …"
 * ```
 */
export function scriptUsage(task: string, options: Record<string, ScriptOption>): string {
  const rows = [
    ...Object.entries(options).map(([name, o]) => [
      `--${name}${o.type === "string" ? " <value>" : ""}`,
      o.default === undefined || o.default === false || o.default === ""
        ? ""
        : `(default: ${o.default})`,
    ]),
    ["-h, --help", "print this help"],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: deno task ${task} [options]`,
    "",
    "Options:",
    ...rows.map(([flag, note]) => `  ${flag.padEnd(width)}  ${note}`.trimEnd()),
  ].join("\n");
}
