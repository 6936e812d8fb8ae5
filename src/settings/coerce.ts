/**
 * Value parsers for the settings table. Each returns a {@linkcode Parser}
 * that accepts a string (CLI, environment, `.env`) or an already-typed value
 * (config.ts), and throws a {@linkcode CoerceError} naming what is accepted.
 *
 * @module
 */
import { CoerceError, type Parser } from "./setting.ts";

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/**
 * A parser made of `parse` and `type`, the TypeScript text of what it returns
 * (which the generated `Settings` interface shows, and `deno check` compares
 * with the type the table derives), and `input`, the text of any other form
 * config.ts may give (see {@linkcode Parser.input}).
 *
 * @example
 * ```ts
 * import { parser } from "./coerce.ts";
 * const anything = parser("number", (raw) => Number(raw));
 * anything.type; // "number"
 * parser("string", (raw) => String(raw), "number").input; // "number"
 * ```
 */
export function parser<T>(
  type: string,
  parse: (raw: unknown) => T,
  input?: string,
): Parser<T> {
  return Object.assign(
    (raw: unknown) => parse(raw),
    input === undefined ? { type } : { type, input },
  );
}

/**
 * An integer within `[min, max]`.
 *
 * @example
 * ```ts
 * import { int } from "./coerce.ts";
 * int({ min: 1 })("4"); // 4
 * ```
 */
export function int(range: { min?: number; max?: number } = {}): Parser<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const accepted = max === Number.MAX_SAFE_INTEGER
    ? `an integer >= ${min}`
    : `an integer from ${min} to ${max}`;
  return parser("number", (raw) => {
    const n = typeof raw === "number"
      ? raw
      : typeof raw === "string" && INT_RE.test(raw.trim())
      ? Number(raw.trim())
      : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new CoerceError(accepted);
    return n;
  });
}

/**
 * A non-negative number of seconds (fractions allowed) within `[min, max]`.
 *
 * @example
 * ```ts
 * import { seconds } from "./coerce.ts";
 * seconds()("2.5"); // 2.5
 * ```
 */
export function seconds(range: { min?: number; max?: number } = {}): Parser<number> {
  const { min = 0, max = 86_400 } = range;
  const accepted = `a number of seconds from ${min} to ${max}`;
  return parser("number", (raw) => {
    const n = typeof raw === "number"
      ? raw
      : typeof raw === "string" && NUM_RE.test(raw.trim())
      ? Number(raw.trim())
      : NaN;
    if (!Number.isFinite(n) || n < min || n > max) throw new CoerceError(accepted);
    return n;
  });
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/**
 * A boolean: `true/false`, `1/0`, `yes/no`, `on/off` (any case), and in
 * config.ts also the numbers `1` and `0`.
 *
 * @example
 * ```ts
 * import { bool } from "./coerce.ts";
 * bool()("yes"); // true
 * bool()(0); // false
 * ```
 */
export function bool(): Parser<boolean> {
  return parser("boolean", (raw) => {
    if (typeof raw === "boolean") return raw;
    // The documented `1/0`, as config.ts writes them: `preload: 1` as well as `preload: "1"`.
    if (raw === 1 || raw === 0) return raw === 1;
    if (typeof raw === "string") {
      const s = raw.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
    }
    throw new CoerceError("one of true, false, 1, 0, yes, no, on, off");
  }, "0 | 1");
}

/**
 * One of a fixed set of strings, with optional aliases mapped to a canonical
 * value (e.g. `gevent` → `async`). Matching ignores case.
 *
 * @example
 * ```ts
 * import { oneOf } from "./coerce.ts";
 * oneOf(["sync", "async"] as const, { gevent: "async" })("gevent"); // "async"
 * ```
 */
export function oneOf<const V extends string>(
  values: readonly V[],
  aliases: Record<string, NoInfer<V>> = {},
): Parser<V> {
  const all = [...values, ...Object.keys(aliases)];
  const accepted = `one of ${all.join(", ")}`;
  const union = (words: readonly string[]) => words.map((w) => JSON.stringify(w)).join(" | ");
  const aliasWords = Object.keys(aliases);
  return parser(union(values), (raw) => {
    if (typeof raw !== "string") throw new CoerceError(accepted);
    const s = raw.trim().toLowerCase();
    const hit = values.find((v) => v === s) ?? aliases[s];
    if (hit === undefined) throw new CoerceError(accepted);
    return hit;
  }, aliasWords.length > 0 ? union(aliasWords) : undefined);
}

/**
 * A string, optionally checked against a pattern. The empty string, and one
 * of spaces only, is rejected unless `allowEmpty`.
 *
 * @example
 * ```ts
 * import { text } from "./coerce.ts";
 * text()("logs/access.log"); // "logs/access.log"
 * ```
 */
export function text(
  options: { pattern?: RegExp; accepted?: string; allowEmpty?: boolean } = {},
): Parser<string> {
  const accepted = options.accepted ?? "a non-empty string";
  return parser("string", (raw) => {
    if (typeof raw !== "string") throw new CoerceError(accepted);
    // The environment takes a blank value as no value: `--error-log ' '` must not name a file " ".
    if (!options.allowEmpty && isBlank(raw)) throw new CoerceError(accepted);
    if (options.pattern && !options.pattern.test(raw)) throw new CoerceError(accepted);
    return raw;
  });
}

/**
 * A value that may be unset: `null`, or an empty (or blank) string from any
 * source, means "off".
 *
 * @example
 * ```ts
 * import { optional, text } from "./coerce.ts";
 * optional(text())(""); // null
 * optional(text())("  "); // null
 * ```
 */
export function optional<T>(inner: Parser<T>): Parser<T | null> {
  // Blank as the environment reads it (`HERD_ACCESS_LOG=' '` is off): `--access-log ' '` too.
  return parser(
    `${inner.type} | null`,
    (raw) => (raw === null || (typeof raw === "string" && isBlank(raw)) ? null : inner(raw)),
    inner.input,
  );
}

function isBlank(raw: string): boolean {
  return raw.trim() === "";
}

/**
 * An integer of at least `min`, or the word `auto`.
 *
 * @example
 * ```ts
 * import { intOrAuto } from "./coerce.ts";
 * intOrAuto({ min: 1 })("auto"); // "auto"
 * ```
 */
export function intOrAuto(range: { min?: number; max?: number } = {}): Parser<number | "auto"> {
  const inner = int(range);
  return parser(`${inner.type} | "auto"`, (raw) => {
    if (typeof raw === "string" && raw.trim().toLowerCase() === "auto") return "auto" as const;
    try {
      return inner(raw);
    } catch (e) {
      if (e instanceof CoerceError) throw new CoerceError(`${e.accepted}, or auto`);
      throw e;
    }
  });
}

/**
 * A list: an array in config.ts, or a comma-separated string elsewhere. Each
 * item goes through `item`. A repeated CLI flag arrives as an array.
 *
 * @example
 * ```ts
 * import { list, text } from "./coerce.ts";
 * list(text())("127.0.0.1, ::1"); // ["127.0.0.1", "::1"]
 * ```
 */
export function list<T>(item: Parser<T>): Parser<T[]> {
  // `(A | B)[]`, not `A | B[]`.
  const type = /^[\w$.[\]"]+$/.test(item.type) ? `${item.type}[]` : `(${item.type})[]`;
  return parser(type, (raw) => {
    const items = Array.isArray(raw)
      ? raw.flatMap((r) => (typeof r === "string" ? splitList(r) : [r]))
      : typeof raw === "string"
      ? splitList(raw)
      : null;
    if (items === null) {
      throw new CoerceError("a list (an array, or a comma-separated string)");
    }
    return items.map(item);
  }, "string");
}

function splitList(s: string): string[] {
  return s.split(",").map((x) => x.trim()).filter((x) => x.length > 0);
}

/**
 * A size in megabytes (integer ≥ 0). `0` means off.
 *
 * @example
 * ```ts
 * import { megabytes } from "./coerce.ts";
 * megabytes()("512"); // 512
 * ```
 */
export function megabytes(): Parser<number> {
  return int({ min: 0, max: 1_048_576 });
}
