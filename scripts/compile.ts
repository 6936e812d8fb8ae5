/**
 * Builds Herd as one self-contained binary with `deno compile`.
 *
 * ```sh
 * deno task compile                 # dist/herd for this machine
 * deno task compile:all             # dist/herd-<target> for every release target
 * deno task compile --out-dir /tmp  # elsewhere
 * deno task compile --no-check      # skip the type check (CI already ran it)
 * ```
 *
 * The type check runs once, up front, and every `deno compile` then runs
 * with `--no-check`: `compile:all` would otherwise check the same graph four
 * times, and a release binary should never skip it entirely.
 *
 * `deno compile` wraps the program around `denort`, a slim runtime it
 * downloads per target on first use. Where that download is impossible,
 * point `DENORT_BIN` at a local denort; this script turns the download
 * failure into one line that says so instead of Deno's backtrace.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseScriptArgs } from "./script_args.ts";
import { pathExists } from "../src/platform/path_exists.ts";

/** The targets of a release (`compile:all`), as `deno compile --target` names them. */
export const RELEASE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

/**
 * Modules imported by computed specifier at run time, which the compiler's
 * static analysis cannot see. Listed when they exist.
 */
const RUNTIME_INCLUDES = ["src/worker/default_app.ts"];

/** One `deno compile` to run. */
export interface CompileJob {
  /** A `--target` name, or null for this machine. */
  target: string | null;
  /** Path of the binary to write. */
  output: string;
  /** Files embedded besides the module graph (`--include`). */
  includes: string[];
}

/**
 * The arguments of `deno compile` for one job.
 *
 * @example
 * ```ts
 * import { compileArgs } from "./compile.ts";
 * compileArgs({ target: null, output: "dist/herd", includes: [] });
 * // ["compile", "--unstable-net", "-A", "--no-check", "--output", "dist/herd", "main.ts"]
 * ```
 */
export function compileArgs(job: CompileJob): string[] {
  return [
    "compile",
    // deno.json's "unstable" is read at build time too, but the binary must
    // not depend on it: Deno.serve's reusePort needs unstable net.
    "--unstable-net",
    // Permissions are baked into the binary. The master re-executes this
    // binary as its workers (run access to a path unknown until install),
    // reads /proc and /sys/fs/cgroup (Deno 2.9 requires --allow-all for
    // those) and imports an app whose needs Herd cannot know.
    "-A",
    // Checked once beforehand; see the module doc.
    "--no-check",
    ...job.includes.flatMap((path) => ["--include", path]),
    ...(job.target === null ? [] : ["--target", job.target]),
    "--output",
    job.output,
    "main.ts",
  ];
}

/**
 * The one line to print for a failed `deno compile`, when its stderr shows
 * the denort download failing; `null` for any other failure (then Deno's
 * own output is the better explanation).
 *
 * @example
 * ```ts
 * import { explainCompileFailure } from "./compile.ts";
 * explainCompileFailure("error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip)");
 * // "error: deno compile needs the denort runtime, which could not be downloaded; set DENORT_BIN to a local denort binary"
 * ```
 */
export function explainCompileFailure(stderr: string): string | null {
  const text = stripAnsi(stderr);
  const downloadFailed = /error sending request for url \(\S*denort-/.test(text) ||
    (/Setting up base binary/.test(text) && /dns error|connect|timed out|certificate/i.test(text));
  if (!downloadFailed) return null;
  return "error: deno compile needs the denort runtime, which could not be downloaded; " +
    "set DENORT_BIN to a local denort binary";
}

/**
 * The jobs for a build, or a one-line error. `DENORT_BIN` replaces the
 * runtime of every target, so with it set only this machine's target can be
 * built correctly; a cross build would embed the wrong runtime.
 *
 * @example
 * ```ts
 * import { planJobs } from "./compile.ts";
 * planJobs({ all: false, outDir: "dist", denortBin: null, hostTarget: "x86_64-unknown-linux-gnu" });
 * // [{ target: null, output: "dist/herd", includes: [] }]
 * ```
 */
export function planJobs(options: {
  all: boolean;
  outDir: string;
  denortBin: string | null;
  hostTarget: string;
  includes?: string[];
}): CompileJob[] | string {
  const includes = options.includes ?? [];
  if (!options.all) return [{ target: null, output: `${options.outDir}/herd`, includes }];
  const foreign = RELEASE_TARGETS.find((target) => target !== options.hostTarget);
  if (options.denortBin !== null && foreign !== undefined) {
    return `error: DENORT_BIN replaces the runtime of every target, so "${foreign}" would ` +
      "get this machine's runtime; unset DENORT_BIN to cross-compile";
  }
  return RELEASE_TARGETS.map((target) => ({
    target,
    output: `${options.outDir}/herd-${target}`,
    includes,
  }));
}

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

async function run(args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

async function main(argv: string[]): Promise<number> {
  const values = parseScriptArgs("compile", {
    all: { type: "boolean", default: false },
    "out-dir": { type: "string", default: "dist" },
    "no-check": { type: "boolean", default: false },
  }, argv);
  const root = new URL("..", import.meta.url).pathname;
  const denortBin = Deno.env.get("DENORT_BIN") || null;
  if (denortBin !== null && !pathExists(denortBin)) {
    console.error(`error: DENORT_BIN is set to "${denortBin}", but there is no file there`);
    return 1;
  }
  const jobs = planJobs({
    all: values.all,
    // deno compile runs from the repository root; a relative --out-dir means the caller's cwd.
    outDir: values["out-dir"] === "dist" ? "dist" : resolve(values["out-dir"]),
    denortBin,
    hostTarget: Deno.build.target,
    includes: RUNTIME_INCLUDES.filter((path) => pathExists(`${root}/${path}`)),
  });
  if (typeof jobs === "string") {
    console.error(jobs);
    return 1;
  }
  if (!values["no-check"]) {
    console.log("Type-checking main.ts");
    const check = await run(["check", "main.ts"], root);
    if (check.code !== 0) {
      await Deno.stderr.write(new TextEncoder().encode(check.stderr));
      return check.code;
    }
  }
  for (const job of jobs) {
    const runtime = denortBin === null ? "denort: cached or downloaded" : `denort: ${denortBin}`;
    console.log(
      `Compiling main.ts for ${job.target ?? Deno.build.target} to ${job.output} (${runtime})`,
    );
    const result = await run(compileArgs(job), root);
    if (result.code !== 0) {
      const line = explainCompileFailure(result.stderr);
      if (line !== null) console.error(line);
      else await Deno.stderr.write(new TextEncoder().encode(result.stderr));
      return result.code;
    }
    await Deno.stderr.write(new TextEncoder().encode(result.stderr));
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
