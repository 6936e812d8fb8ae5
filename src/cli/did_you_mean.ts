/**
 * Closest-name suggestions for mistyped flags, environment variables and
 * config.ts keys: `--wokers` → `--workers`.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./did_you_mean.ts";
 * didYouMean("--wokers", ["--workers", "--timeout"]); // "--workers"
 * ```
 *
 * @module
 */

/**
 * The candidate closest to `input`, or undefined when none is close enough
 * to be a plausible typo. Case is ignored.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./did_you_mean.ts";
 * didYouMean("HERD_WORKRS", ["HERD_WORKERS", "HERD_PORT"]); // "HERD_WORKERS"
 * didYouMean("--colour", ["--workers"]); // undefined
 * ```
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  const names = [...candidates];
  const renamed = gunicornRename(needle);
  const renamedHit = renamed === undefined ? undefined : names.find((c) => {
    const base = baseName(c.toLowerCase());
    return base === renamed || base.endsWith(`_${renamed}`);
  });
  if (renamedHit !== undefined) return renamedHit;
  // A third of the length tolerates one typo in short names and a few in
  // long ones, without suggesting unrelated words. The prefix every name
  // shares (`HERD_`, `--`) is no part of a word: counted, it made HERD_NOPE
  // a typo of HERD_APP.
  const shared = sharedPrefix(names.map((c) => c.toLowerCase()));
  const own = needle.startsWith(shared) ? needle.length - shared.length : needle.length;
  const limit = Math.floor(own / 3);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const d = editDistance(needle, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * ` (did you mean X?)`-style suffix for an error message, or `""`.
 *
 * @example
 * ```ts
 * import { suggestionSuffix } from "./did_you_mean.ts";
 * suggestionSuffix("--wokers", ["--workers"]); // ": did you mean --workers?"
 * ```
 */
export function suggestionSuffix(input: string, candidates: Iterable<string>): string {
  const hit = didYouMean(input, candidates);
  return hit === undefined ? "" : `: did you mean ${hit}?`;
}

// Gunicorn's names for settings Herd names otherwise: its users type them, and no edit
// distance finds `preload` from `preload_app` (and `--log-file` is nearest `--env-file`).
const GUNICORN_NAMES: Record<string, string> = {
  preload_app: "preload",
  accesslog: "access_log",
  access_logfile: "access_log",
  errorlog: "error_log",
  error_logfile: "error_log",
  log_file: "error_log",
  loglevel: "log_level",
};

// `--preload-app`, `HERD_PRELOAD_APP` and `preload_app` alike: lower case, snake case.
function baseName(name: string): string {
  return name.replace(/^--?/, "").replaceAll("-", "_");
}

// The Herd name for a Gunicorn one (with any `PREFIX_` of a variable), or undefined.
function gunicornRename(needle: string): string | undefined {
  const base = baseName(needle);
  for (const [gunicorn, herd] of Object.entries(GUNICORN_NAMES)) {
    if (base === gunicorn || base.endsWith(`_${gunicorn}`)) return herd;
  }
  return undefined;
}

/** Optimal string alignment distance: a swap of neighbours counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}

// The prefix all of `names` begin with ("" for fewer than two).
function sharedPrefix(names: readonly string[]): string {
  if (names.length < 2) return "";
  let prefix = names[0];
  for (const name of names) {
    while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
