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

Deno.test("each parser words the other forms config.ts may give", () => {
  assertEquals(int().input, undefined);
  assertEquals(text().input, undefined);
  assertEquals(bool().input, "0 | 1");
  assertEquals(oneOf(["a", "b"] as const).input, undefined);
  assertEquals(oneOf(["sync", "async"] as const, { gevent: "async" }).input, '"gevent"');
  assertEquals(list(int()).input, "string");
  assertEquals(optional(list(text())).input, "string");
  assertEquals(optional(text()).input, undefined);
  assertEquals(parser("string", String, "number").input, "number");
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
  const source = renderSettingsInterface().split("export interface SettingsInputForms")[0];
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

// One sample of each other form config.ts may give (`SettingsInputForms`), and the value it
// stands for.
const INPUT_FORMS: Record<string, { given: unknown; means: unknown }> = {
  env: { given: "prod", means: "production" },
  bind: {
    given: "127.0.0.1:8000, unix:/run/h.sock",
    means: ["127.0.0.1:8000", "unix:/run/h.sock"],
  },
  unix_socket_mode: { given: 0o600, means: "0600" },
  preload: { given: 0, means: false },
  allow_root: { given: 1, means: true },
  worker_permissions: {
    given: "--allow-env=X --allow-ffi",
    means: ["--allow-env=X", "--allow-ffi"],
  },
  worker_class: { given: "gevent", means: "async" },
  log_level: { given: "warn", means: "warning" },
  forwarded_allow_ips: { given: "10.0.0.1, 10.0.0.0/8", means: ["10.0.0.1", "10.0.0.0/8"] },
  reload: { given: 1, means: true },
  reload_extra_files: { given: "a.txt, b.txt", means: ["a.txt", "b.txt"] },
};

Deno.test("each other form config.ts may give is parsed into the setting's type", () => {
  const withForms = SETTINGS.filter((s) => s.parse.input !== undefined).map((s) => s.name);
  assertEquals(withForms.toSorted(), Object.keys(INPUT_FORMS).toSorted());
  for (const [name, { given, means }] of Object.entries(INPUT_FORMS)) {
    assertEquals(settingByName(name)!.parse(given), means, name);
  }
});

Deno.test("config.ts type-checks with the other forms, and not with a wrong type", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-input-forms-" });
  const root = new URL("../../../", import.meta.url);
  const check = async (settings: Record<string, unknown>) => {
    const path = `${dir}/config.ts`;
    const body = JSON.stringify(settings, null, 2);
    await Deno.writeTextFile(
      path,
      `import { defineConfig } from ${JSON.stringify(new URL("src/config.ts", root).href)};\n` +
        `export default defineConfig({ ...${body}, profiles: { production: ${body} } });\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", new URL("deno.json", root).pathname, path],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
  };
  try {
    const given = Object.fromEntries(Object.entries(INPUT_FORMS).map(([k, v]) => [k, v.given]));
    const forms = await check(given);
    assert(forms.ok, forms.stderr);
    const wrong = await check({ bind: 8000 });
    assert(!wrong.ok, "bind: 8000 type-checked");
    assert(wrong.stderr.includes("bind"), wrong.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
