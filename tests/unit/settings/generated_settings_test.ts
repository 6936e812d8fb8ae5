/**
 * Tests for what `scripts/gen_settings_doc.ts` generates from the table: each
 * parser's type text, and the `Settings` interface and the settings page being
 * current.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import {
  bool,
  int,
  intOrAuto,
  list,
  megabytes,
  oneOf,
  optional,
  parser,
  seconds,
  text,
} from "../../../src/settings/coerce.ts";
import { settingByName, SETTINGS } from "../../../src/settings/table.ts";
import { OUTPUTS, renderSettingsInterface } from "../../../scripts/gen_settings_doc.ts";

Deno.test("each parser words the TypeScript type of what it returns", () => {
  assertEquals(int().type, "number");
  assertEquals(seconds().type, "number");
  assertEquals(megabytes().type, "number");
  assertEquals(bool().type, "boolean");
  assertEquals(text().type, "string");
  assertEquals(oneOf(["sync", "async"] as const, { gevent: "async" }).type, '"sync" | "async"');
  assertEquals(optional(text()).type, "string | null");
  assertEquals(intOrAuto({ min: 1 }).type, 'number | "auto"');
  assertEquals(list(text()).type, "string[]");
  assertEquals(list(oneOf(["a", "b"] as const)).type, '("a" | "b")[]');
  assertEquals(optional(list(int())).type, "number[] | null");
  assertEquals(parser('Hooks["on_exit"]', () => null).type, 'Hooks["on_exit"]');
});

Deno.test("parser() keeps the function's behaviour", () => {
  const double = parser("number", (raw) => Number(raw) * 2);
  assertEquals(double("4"), 8);
  assertEquals(list(double)("1, 2"), [2, 4]);
});

Deno.test("the table's custom parsers carry their type", () => {
  const types = Object.fromEntries(SETTINGS.map((s) => [s.name, s.parse.type]));
  assertEquals(types.host, "string");
  assertEquals(types.unix_socket_mode, "string");
  assertEquals(types.worker_permissions, "string[]");
  assertEquals(types.forwarded_allow_ips, "string[]");
  assertEquals(types.metrics_bind, "string | null");
  assertEquals(types.post_request, 'Hooks["post_request"] | null');
});

function assertIncludes(source: string, part: string): void {
  assert(source.includes(part), `missing:\n${part}`);
}

Deno.test("the Settings interface documents each setting in table order", () => {
  const source = renderSettingsInterface();
  const keys = [...source.matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]);
  assertEquals(keys, SETTINGS.map((s) => s.name));
  assertIncludes(
    source,
    `   * ${settingByName("workers")!.doc}
   *
   * - Default: \`"auto"\`
   * - Command line: \`-w\`, \`--workers INT|auto\`
   * - Environment: \`HERD_WORKERS\`
   * - Accepts: an integer from 1 to 1024, or auto
   */
  workers: number | "auto";
`,
  );
  // A hook has neither flag nor variable; its type is the hook's own.
  assertIncludes(
    source,
    "   * - Default: `null`\n   * - Accepts: a function\n   */\n  on_exit:",
  );
  assertIncludes(
    source,
    `  log_level: "debug" | "info" | "warning" | "error" | "critical";\n`,
  );
  assertIncludes(
    source,
    `   * - Default: \`'%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'\`\n`,
  );
});

Deno.test("the generated files are current (run `deno task docs`)", async () => {
  for (const { path, render } of OUTPUTS) {
    const actual = await Deno.readTextFile(new URL(`../../../${path}`, import.meta.url));
    assertEquals(actual, render(), `${path} is stale: run "deno task docs"`);
  }
});
