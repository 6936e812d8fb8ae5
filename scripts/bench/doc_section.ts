/**
 * Writes one benchmark's figures into its own marked section of
 * `docs/benchmarks.md`, leaving the rest of the file (other scripts'
 * sections, the hand-written reading of the figures) alone.
 *
 * @module
 */

/**
 * Replaces the text between `<!-- NAME:start … -->` and `<!-- NAME:end -->`
 * in `path` with `body` (appending the section when the markers are
 * missing), then runs `deno fmt` on the file so tables stay aligned.
 *
 * @example
 * ```ts
 * import { writeDocSection } from "./doc_section.ts";
 * await writeDocSection("docs/benchmarks.md", { name: "bench", body: "| a | b |" });
 * ```
 */
export async function writeDocSection(
  path: string,
  section: { name: string; body: string },
): Promise<void> {
  const { name, body } = section;
  const block = `<!-- ${name}:start -->\n${body}\n<!-- ${name}:end -->`;
  const doc = await Deno.readTextFile(path).catch(() => "# Benchmarks\n");
  const marked = new RegExp(`<!-- ${name}:start[\\s\\S]*?<!-- ${name}:end -->`);
  const next = marked.test(doc) ? doc.replace(marked, block) : `${doc.trimEnd()}\n\n${block}\n`;
  await Deno.writeTextFile(path, next);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", path] }).output();
}

/**
 * The machine line every benchmark section starts with:
 * `2 × <CPU model>, Linux <release>, Deno <version>`.
 *
 * @example
 * ```ts
 * import { machineDescription } from "./doc_section.ts";
 * console.log(`Measured on ${await machineDescription()}.`);
 * ```
 */
export async function machineDescription(): Promise<string> {
  const cpu = /model name\s*:\s*(.*)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? "?";
  const kernel = (await Deno.readTextFile("/proc/sys/kernel/osrelease")).trim();
  return `${navigator.hardwareConcurrency} × ${cpu}, Linux ${kernel}, Deno ${Deno.version.deno}`;
}
