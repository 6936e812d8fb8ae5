/**
 * Tests for `--help`, rendered from the table.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { flagSpelling, renderHelp } from "../../../src/cli/help.ts";
import { settingByName, SETTINGS } from "../../../src/settings/table.ts";
import { envName, flagName } from "../../../src/settings/setting.ts";

const HELP = renderHelp({
  commands: [{ name: "config", usage: "config [--json]", summary: "Print it" }],
});

Deno.test("renderHelp() lists every CLI setting with its flag and variable", () => {
  for (const s of SETTINGS) {
    if (s.cli === false) continue;
    const spelling = s.positional
      ? s.name.toUpperCase()
      : s.boolean
      ? `--[no-]${flagName(s.name)}`
      : `--${flagName(s.name)} `;
    assertEquals(HELP.includes(spelling), true, s.name);
    if (s.env !== false) assertEquals(HELP.includes(envName(s.name, "HERD")), true, s.name);
  }
});

Deno.test("renderHelp() leaves out config.ts-only settings", () => {
  assertEquals(HELP.includes("on-starting"), false);
  assertEquals(HELP.includes("HERD_ON_STARTING"), false);
});

Deno.test("renderHelp() groups settings by section and lists the commands", () => {
  for (const section of new Set(SETTINGS.filter((s) => s.cli !== false).map((s) => s.section))) {
    assertEquals(HELP.includes(`\n${section}:\n`), true, section);
  }
  assertEquals(HELP.includes("herd config [--json]"), true);
});

Deno.test("renderHelp() shows the chosen prefix", () => {
  assertEquals(renderHelp({ commands: [], prefix: "MYAPP" }).includes("MYAPP_WORKERS"), true);
});

Deno.test("flagSpelling() shows short forms, placeholders and negation", () => {
  const of = (name: string) => flagSpelling(settingByName(name)!);
  assertEquals(of("workers"), "-w, --workers INT|auto");
  assertEquals(of("preload"), "    --[no-]preload");
  assertEquals(of("app"), "APP");
});

Deno.test("renderHelp() for a program around serve(): its config, not config.ts", () => {
  // Wrapped lines joined: the sentences may break anywhere.
  const text = renderHelp({ commands: [], prefix: "BIOREMPP", embedded: true }).replace(
    /\s+/g,
    " ",
  );
  assert(text.includes("BIOREMPP_WORKERS"));
  assert(!text.includes("HERD_WORKERS"));
  assert(text.includes("may also be set in the config given to serve()"), text);
  assert(text.includes("The defaults shown are Herd's"));
  assert(!renderHelp({ commands: [] }).includes("The defaults shown are Herd's"));
  // No APP, no --config: such a program refuses them.
  const commands = [{ name: "serve", usage: "[serve] [APP] [flags]", summary: "Serve" }];
  const own = renderHelp({ commands, prefix: "BIOREMPP", embedded: true });
  assert(own.includes("herd [serve] [flags]"), own);
  assert(!own.includes("BIOREMPP_APP") && !own.includes("--config"), own);
  assert(renderHelp({ commands }).includes("--config"));
});

Deno.test("renderHelp() gives the prefix in use as --env-prefix's default", () => {
  const text = renderHelp({ commands: [], prefix: "BIOREMPP", embedded: true }).replace(
    /\s+/g,
    " ",
  );
  assert(/--env-prefix PREFIX .*\[default: BIOREMPP\]/.test(text), text.slice(0, 400));
});
