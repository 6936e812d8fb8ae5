/**
 * A worker must not load any `npm:` or `node:` module: either makes Deno
 * start its Node compatibility layer, several MB of RSS in every worker
 * (docs/benchmarks.md). This walks the static import graph a worker process
 * evaluates, from `main.ts __worker` and from `serve()`, as `deno info`
 * reports it, so a new import anywhere in it fails here with its path.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";

const ROOT = new URL("../../../", import.meta.url);

interface Module {
  specifier: string;
  dependencies?: { specifier: string; isDynamic?: boolean; code?: { specifier?: string } }[];
}

/** `[importer, specifier]` for every npm:/node: import statically reachable from `entry`. */
async function nodeImports(entry: string): Promise<string[][]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const graph: { roots: string[]; modules: Module[] } = JSON.parse(
    new TextDecoder().decode(output.stdout),
  );
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const found: string[][] = [];
  const seen = new Set<string>();
  const pending = [...graph.roots];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const dependency of modules.get(next)?.dependencies ?? []) {
      if (dependency.isDynamic) continue;
      const target = dependency.code?.specifier ?? dependency.specifier;
      if (/^(npm|node):/.test(target)) found.push([next.replace(ROOT.href, ""), target]);
      else pending.push(target);
    }
  }
  return found;
}

Deno.test("the worker's modules import nothing from npm: or node:", async () => {
  // main.ts's static graph (what runs before it sends __worker to the worker), then the worker's.
  assertEquals(await nodeImports("main.ts"), []);
  assertEquals(await nodeImports("src/worker/worker.ts"), []);
  assertEquals(await nodeImports("src/serve.ts"), []);
});
