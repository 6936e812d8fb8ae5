/**
 * The `.env` source: reads a dotenv file into variables. The only user of
 * `node:util` `parseEnv`, which handles quotes, `export`, comments, empty
 * values and CRLF; it silently drops lines it cannot read, so this module
 * checks each line itself to report them.
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
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

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
  // A byte-order mark (Windows editors) would otherwise hide the first variable.
  const text = source.replace(/^\uFEFF/, "");
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
      problems.push(`"${file}" line ${i + 1}: invalid variable name "${key}"`);
      continue;
    }
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
    i = end;
  }
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (value !== undefined && !refused.has(key)) variables[key] = value;
  }
  return { variables, problems, warnings };
}

/** The index of the line that closes a quoted value opened on line `start`. */
function closingLine(lines: readonly string[], start: number, value: string): number {
  const quote = value[0];
  if (quote !== '"' && quote !== "'" && quote !== "`") return start;
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
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const { display, explicit } = options;
    if (!(error instanceof Deno.errors.NotFound)) {
      return failed(`Cannot read env file "${display}": ${firstLine(error)}`);
    }
    if (explicit === undefined) return { path: null, variables: {}, problems: [], warnings: [] };
    return failed(`Cannot find env file "${display}" from ${describeOrigin(explicit)}`);
  }
  return { path, ...scanDotenv(text, options.display) };
}

function failed(problem: string): DotenvRead {
  return { path: null, variables: {}, problems: [problem], warnings: [] };
}
