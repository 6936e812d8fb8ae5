/**
 * The `.env` source: reads a dotenv file into variables. The only user of
 * `node:util` `parseEnv`, which handles quotes, `export`, comments, empty
 * values and CRLF; it silently drops lines it cannot read, and text after a
 * closing quote, so this module checks each line itself to report them (a
 * few by line, then a count).
 *
 * The variables are later filtered so that a `.env` file never overrides a
 * variable already in the environment.
 *
 * @example
 * ```ts
 * import { scanDotenv } from "./dotenv.ts";
 * scanDotenv('export HERD_WORKERS="4"\n# comment\n', ".env").variables; // { HERD_WORKERS: "4" }
 * ```
 *
 * @module
 */
import { parseEnv } from "node:util";
import { describeOrigin, type Origin } from "../problems.ts";
import { firstLine } from "../../error_text.ts";
import { notRegularFile } from "./regular_file.ts";

/** Variables read from a dotenv file, one line per malformed line, and per repeated key. */
export interface DotenvScan {
  variables: Record<string, string>;
  problems: string[];
  /** A key set twice: the last value wins, as `parseEnv` has it, which is easy to miss. */
  warnings: string[];
}

/** The outcome of looking for, and reading, a dotenv file. */
export interface DotenvRead extends DotenvScan {
  /** The absolute path read, or null when the optional default file is absent. */
  path: string | null;
}

const LINE_RE = /^(?:export\s+)?([^=\s]*)\s*=\s*(.*)$/;
const EXPORT_RE = /^(\s*)export\s+/;
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Line problems reported one by one; past these, a count (a binary file has one a line). */
const MAX_LINE_PROBLEMS = 3;

/**
 * Parses dotenv `text`. `file` names the file in problems.
 *
 * @example
 * ```ts
 * import { scanDotenv } from "./dotenv.ts";
 * scanDotenv("A=1\nnot a pair\n", ".env").problems;
 * // ['".env" line 2: expected KEY=VALUE']
 * ```
 */
export function scanDotenv(source: string, file: string): DotenvScan {
  // A byte-order mark (Windows editors) would otherwise hide the first variable. A lone CR
  // (classic Mac) ends a line too: parseEnv would read the whole file as one value.
  const text = source.replace(/^\uFEFF/, "").replace(/\r(?!\n)/g, "\n");
  const lines = text.split(/\r?\n/);
  const problems: string[] = [];
  // Reported once, as the file's problem: its value is not judged again as the setting's.
  const refused = new Set<string>();
  const warnings: string[] = [];
  const firstSeen = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE_RE.exec(line);
    if (match === null) {
      problems.push(`"${file}" line ${i + 1}: expected KEY=VALUE`);
      continue;
    }
    const [, key, value] = match;
    if (!KEY_RE.test(key)) {
      problems.push(`"${file}" line ${i + 1}: invalid variable name ${JSON.stringify(key)}`);
      continue;
    }
    // parseEnv keeps `export` in the name of an empty variable (`export A=` sets "export A"),
    // which would then be dropped without the warning `A=` gets.
    lines[i] = lines[i].replace(EXPORT_RE, "$1");
    const first = firstSeen.get(key);
    if (first === undefined) firstSeen.set(key, i + 1);
    else {
      warnings.push(
        `"${file}" line ${i + 1}: "${key}" again (first on line ${first}); the last value is used`,
      );
    }
    const end = closingLine(lines, i, value);
    if (end === -1) {
      problems.push(`"${file}" line ${i + 1}: unterminated quoted value of "${key}"`);
      refused.add(key);
      break;
    }
    // parseEnv drops what follows the closing quote: `A="3" extra` would silently be 3.
    // The first quote that closes it: a quote in a comment after it is the comment's.
    const closing = end === i ? value : lines[end];
    const after = closing.slice(closing.indexOf(value[0], end === i ? 1 : 0) + 1).trim();
    if (isQuote(value[0]) && after !== "" && !after.startsWith("#")) {
      problems.push(`"${file}" line ${end + 1}: text after the closing quote of "${key}"`);
      refused.add(key);
    }
    i = end;
  }
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseEnv(lines.join("\n")))) {
    if (value !== undefined && !refused.has(key)) variables[key] = value;
  }
  return { variables, problems: capped(problems, file), warnings };
}

function capped(problems: string[], file: string): string[] {
  if (problems.length <= MAX_LINE_PROBLEMS + 1) return problems;
  const more = problems.length - MAX_LINE_PROBLEMS;
  return [...problems.slice(0, MAX_LINE_PROBLEMS), `and ${more} more problems in "${file}"`];
}

function isQuote(char: string | undefined): boolean {
  return char === '"' || char === "'" || char === "`";
}

/** The index of the line that closes a quoted value opened on line `start`. */
function closingLine(lines: readonly string[], start: number, value: string): number {
  const quote = value[0];
  if (!isQuote(quote)) return start;
  if (value.indexOf(quote, 1) !== -1) return start;
  // A quoted value may span lines; it ends at the first line holding the quote.
  for (let j = start + 1; j < lines.length; j++) {
    if (lines[j].includes(quote)) return j;
  }
  return -1;
}

/**
 * Reads the dotenv file at `path`. A missing file is a problem only when the
 * path was given explicitly (`explicit` names where); the default `./.env`
 * is optional.
 *
 * @example
 * ```ts
 * import { readDotenv } from "./dotenv.ts";
 * const read = await readDotenv("/tmp/nowhere/.env", { display: ".env" });
 * read.path; // null
 * ```
 */
export async function readDotenv(
  path: string,
  options: { display: string; explicit?: Origin },
): Promise<DotenvRead> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    // The usual way to read no .env at all; it never blocks.
    const notRegular = path === "/dev/null" ? null : notRegularFile(info);
    if (notRegular !== null) {
      return failed(`Cannot read env file "${options.display}": ${notRegular}`);
    }
    bytes = await Deno.readFile(path);
  } catch (error) {
    const { display, explicit } = options;
    if (!(error instanceof Deno.errors.NotFound)) {
      return failed(`Cannot read env file "${display}": ${firstLine(error)}`);
    }
    if (explicit === undefined) return { path: null, variables: {}, problems: [], warnings: [] };
    return failed(`Cannot find env file "${display}" from ${describeOrigin(explicit)}`);
  }
  const text = textOf(bytes);
  // A binary file would give a problem for nearly every "line", in unprintable bytes.
  if (text === null) return failed(`Cannot read env file "${options.display}": not a text file`);
  return { path, ...scanDotenv(text, options.display) };
}

// NUL bytes mark a binary file. Text in another encoding (Latin-1 from an old editor) is read as
// UTF-8, its odd bytes replaced, as before: its variables still work.
function textOf(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  return new TextDecoder().decode(bytes);
}

/**
 * Linux's MAX_ARG_STRLEN (32 pages) less the final NUL: the most bytes one `KEY=value` of a
 * process's environment may have, or spawning it fails with "Argument list too long".
 */
const MAX_VARIABLE_BYTES = 131_071;

/**
 * One problem per variable of `variables` (a .env file's, which reach the workers'
 * environment) too large for a process's environment on Linux: every worker would fail to
 * spawn with "Argument list too long", naming no variable.
 *
 * @example
 * ```ts
 * import { oversizedVariables } from "./dotenv.ts";
 * oversizedVariables({ BLOB: "x".repeat(140_000) }, ".env", "linux");
 * // ['Variable BLOB in ".env" is too large for the workers' environment: 140005 bytes as ...']
 * ```
 */
export function oversizedVariables(
  variables: Readonly<Record<string, string>>,
  file: string,
  os: typeof Deno.build.os = Deno.build.os,
): string[] {
  if (os !== "linux") return [];
  const encoder = new TextEncoder();
  return Object.entries(variables).flatMap(([key, value]) => {
    const bytes = encoder.encode(`${key}=${value}`).length;
    if (bytes <= MAX_VARIABLE_BYTES) return [];
    return [
      `Variable ${key} in "${file}" is too large for the workers' environment: ${bytes} bytes ` +
      `as ${key}=VALUE, more than Linux's ${MAX_VARIABLE_BYTES} (MAX_ARG_STRLEN)`,
    ];
  });
}

function failed(problem: string): DotenvRead {
  return { path: null, variables: {}, problems: [problem], warnings: [] };
}
