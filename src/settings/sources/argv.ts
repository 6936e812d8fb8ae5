/**
 * The command-line source: flags and the `APP` positional, generated from
 * the settings table. The only user of `node:util` `parseArgs`.
 *
 * Parsing is lenient (`strict: false`) so that every mistake is collected
 * and reported at once, each with a suggestion, instead of stopping at the
 * first unknown flag.
 *
 * @example
 * ```ts
 * import { readArgv } from "./argv.ts";
 * const { values, problems } = readArgv(["app.ts", "-w", "4", "--no-preload"]);
 * values.get("workers")?.raw; // "4"
 * values.get("preload")?.raw; // false
 * problems; // []
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SETTINGS } from "../table.ts";
import { flagName, type Setting } from "../setting.ts";
import type { RawValue } from "../problems.ts";
import { suggestionSuffix } from "../../cli/did_you_mean.ts";

/** What the command line says: raw values by setting name, and mistakes. */
export interface ArgvResult {
  /** Raw values keyed by snake_case setting name; repeatable flags give arrays. */
  values: Map<string, RawValue>;
  /** One line per unknown flag, missing value or extra argument. */
  problems: string[];
}

type CliSetting = Setting<string, unknown>;

const CLI_SETTINGS: readonly CliSetting[] = SETTINGS.filter((s) =>
  s.cli !== false && !s.positional
);
const POSITIONAL: CliSetting | undefined = SETTINGS.find((s) => s.positional);
const BY_FLAG = new Map(CLI_SETTINGS.map((s) => [flagName(s.name), s]));

/**
 * Every spelling the CLI accepts (`--workers`, `-w`, `--no-preload`), for
 * `--help` tests and suggestions.
 *
 * @example
 * ```ts
 * import { knownFlags } from "./argv.ts";
 * knownFlags().includes("--workers"); // true
 * ```
 */
export function knownFlags(): string[] {
  return CLI_SETTINGS.flatMap((s) => [
    `--${flagName(s.name)}`,
    ...(s.short ? [`-${s.short}`] : []),
    ...(s.boolean ? [`--no-${flagName(s.name)}`] : []),
  ]);
}

let ownFlags: ReadonlySet<string> | null = null;

// One of Herd's own flags (`--preload`, `--workers=2`), not a value that looks like one.
function isOwnFlag(word: string): boolean {
  ownFlags ??= new Set(knownFlags());
  return word.startsWith("-") && ownFlags.has(word.replace(/=.*$/, ""));
}

/**
 * Reads `args` (what follows the command word) into raw setting values.
 * Values are not validated here: the setting's parser does that in
 * `resolve.ts`, the same way for every source.
 *
 * @example
 * ```ts
 * import { readArgv } from "./argv.ts";
 * readArgv(["--wokers", "2"]).problems;
 * // ['Unknown flag "--wokers": did you mean --workers?']
 * ```
 */
export function readArgv(args: readonly string[]): ArgvResult {
  const tokens = tokenize(args);
  const values = new Map<string, RawValue>();
  const problems: string[] = [];
  let skipIndex = -1;
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      if (token.index === skipIndex) continue;
      readPositional(token.value, values, problems);
      continue;
    }
    // parseArgs reports a known short alias under its long name.
    const negated = token.rawName.startsWith("--no-") && !BY_FLAG.has(token.name);
    const setting = BY_FLAG.get(negated ? token.name.slice(3) : token.name);
    if (setting === undefined || (negated && !setting.boolean)) {
      problems.push(
        `Unknown flag "${token.rawName}"${suggestionSuffix(token.rawName, knownFlags())}`,
      );
      // `--wokers 2`: the 2 was meant as the flag's value, not as the APP.
      if (!token.inlineValue) skipIndex = token.index + 1;
      continue;
    }
    const origin = { source: "cli" as const, flag: token.rawName };
    if (setting.boolean) {
      if (negated && token.value !== undefined) {
        problems.push(`Unexpected value for "${token.rawName}": the flag takes no value`);
      } else {
        values.set(setting.name, { raw: negated ? false : token.value ?? true, origin });
      }
    } else if (token.value === undefined) {
      problems.push(`Missing value for "${token.rawName}": expected ${setting.meta ?? "a value"}`);
    } else if (setting.repeatable) {
      const previous = values.get(setting.name)?.raw;
      const items = Array.isArray(previous) ? previous : [];
      values.set(setting.name, { raw: [...items, token.value], origin });
    } else {
      values.set(setting.name, { raw: token.value, origin });
    }
  }
  return { values, problems };
}

type Token = ReturnType<typeof parseArgs>["tokens"] extends (infer T)[] | undefined ? T
  : never;

/**
 * parseArgs' tokens, except that a value-taking flag followed by one of Herd's flags gets no
 * value (`-w -p 8000`), and that flag is read as a flag: parseArgs would take `-p` as the value
 * of `-w`, and `8000` as the APP. Other words that start with `-` stay values
 * (`--worker-permissions --allow-env=FOO`).
 */
function tokenize(args: readonly string[]): Token[] {
  const out: Token[] = [];
  let start = 0;
  parse: while (true) {
    const { tokens } = parseArgs({
      args: args.slice(start),
      options: parserOptions(),
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    for (const token of tokens) {
      const index = token.index + start;
      if (
        token.kind === "option" && token.value !== undefined && !token.inlineValue &&
        isOwnFlag(token.value)
      ) {
        out.push({ ...token, index, value: undefined, inlineValue: undefined });
        // The flag taken for a value is the word after this one: parse again from there.
        start = index + 1;
        continue parse;
      }
      out.push({ ...token, index });
    }
    return out;
  }
}

function readPositional(value: string, values: Map<string, RawValue>, problems: string[]) {
  if (POSITIONAL === undefined || values.has(POSITIONAL.name)) {
    problems.push(
      `Unexpected argument "${value}": only one ${POSITIONAL?.meta ?? "argument"} is accepted`,
    );
    return;
  }
  const meta = POSITIONAL.name.toUpperCase();
  values.set(POSITIONAL.name, { raw: value, origin: { source: "cli", flag: meta } });
}

function parserOptions() {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const s of CLI_SETTINGS) {
    options[flagName(s.name)] = {
      type: s.boolean ? "boolean" : "string",
      ...(s.short ? { short: s.short } : {}),
      ...(s.repeatable ? { multiple: true } : {}),
    };
  }
  return options;
}
