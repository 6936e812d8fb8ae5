/**
 * What a worker process loads is its memory: this walks the static import
 * graph a worker evaluates, from its entry point, from `main.ts __worker` (a
 * compiled binary) and from `serve()`, as `deno info` reports it, so a new
 * import or call anywhere in it fails here with its path. Measured costs
 * are in docs/benchmarks.md.
 *
 * - No `npm:` or `node:` module: either makes Deno start its Node
 *   compatibility layer, several MB of RSS in every worker.
 * - No `setTimeout` or `setInterval` (nor `Deno.unrefTimer`, which serves
 *   them): they are Node's timers in Deno 2.9, and their first use loads
 *   `node:timers`, 2–3 MB; `src/platform/timer.ts` does without it.
 * - Nothing of the master or the CLI in what Deno analyses when a worker
 *   starts (its entry point's graph, dynamic imports included): 1–2 MB.
 * - Nothing else of Herd loaded by a config.ts that imports `defineConfig`
 *   from `src/config.ts` (workers import config.ts for their hooks).
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";

const ROOT = new URL("../../../", import.meta.url);

/** The entry points of the code a worker process runs. */
const WORKER_ENTRIES = ["src/worker/entry.ts", "main.ts", "src/serve.ts"];

interface Module {
  specifier: string;
  /** `code` is absent from a type-only import. */
  dependencies?: { specifier: string; isDynamic?: boolean; code?: { specifier?: string } }[];
}

interface StaticGraph {
  /** Every module reached by static imports. */
  modules: Set<string>;
  /** `[importer, specifier]` for every static import. */
  imports: string[][];
}

/** What `deno info` reports for `entry`: every module Deno analyses, dynamic imports included. */
async function denoInfo(entry: string): Promise<{ roots: string[]; modules: Module[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** `codeOnly`: leave out type-only imports, which Deno does not load to run the code. */
async function staticGraph(entry: string, { codeOnly = false } = {}): Promise<StaticGraph> {
  const graph = await denoInfo(entry);
  const byName = new Map(graph.modules.map((m) => [m.specifier, m]));
  const modules = new Set<string>();
  const imports: string[][] = [];
  const pending = [...graph.roots];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (modules.has(next)) continue;
    modules.add(next);
    for (const dependency of byName.get(next)?.dependencies ?? []) {
      if (dependency.isDynamic || (codeOnly && !dependency.code)) continue;
      const target = dependency.code?.specifier ?? dependency.specifier;
      imports.push([next, target]);
      if (!/^(npm|node):/.test(target)) pending.push(target);
    }
  }
  return { modules, imports };
}

const relative = (specifier: string) => specifier.replace(ROOT.href, "");

/** Source without comments, so prose may name what code must not call. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");
}

Deno.test("the worker's modules import nothing from npm: or node:", async () => {
  for (const entry of WORKER_ENTRIES) {
    const { imports } = await staticGraph(entry);
    const found = imports.filter(([, target]) => /^(npm|node):/.test(target));
    assertEquals(found.map(([from, target]) => [relative(from), target]), [], entry);
  }
});

Deno.test("the worker's modules use platform/timer.ts, not setTimeout or setInterval", async () => {
  const found: string[][] = [];
  for (const entry of WORKER_ENTRIES) {
    for (const module of (await staticGraph(entry)).modules) {
      if (!module.startsWith(ROOT.href)) continue;
      const source = code(await Deno.readTextFile(new URL(module)));
      for (const [name] of source.matchAll(/\b(setTimeout|setInterval|unrefTimer)\b/g)) {
        found.push([relative(module), name]);
      }
    }
  }
  assertEquals(found, []);
});

Deno.test("a worker's start analyses none of the master's or the CLI's modules", async () => {
  const { modules } = await denoInfo("src/worker/entry.ts");
  const specifiers = modules.map((m) => relative(m.specifier));
  assertEquals(specifiers.filter((s) => /^src\/(master|cli)\//.test(s)), []);
  assertEquals(specifiers.includes("src/worker/worker.ts"), true);
});

Deno.test("src/config.ts, which config.ts imports, loads no other module of Herd", async () => {
  const { modules } = await staticGraph("src/config.ts", { codeOnly: true });
  assertEquals([...modules].map(relative).sort(), ["src/config.ts", "src/settings/user_config.ts"]);
});
