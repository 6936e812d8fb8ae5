/**
 * Tests for the descriptions shared by `--help` and the settings doc.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { acceptedValues, describeDefault, describeValue } from "../../../src/settings/describe.ts";
import { settingByName, SETTINGS } from "../../../src/settings/table.ts";

function setting(name: string) {
  const found = settingByName(name);
  if (found === undefined) throw new Error(`No setting "${name}"`);
  return found;
}

Deno.test("acceptedValues() words what each parser accepts", () => {
  assertEquals(acceptedValues(setting("workers")), "an integer from 1 to 1024, or auto");
  assertEquals(acceptedValues(setting("bind")), "a list of HOST:PORT, [IPV6]:PORT or unix:PATH");
  assertEquals(acceptedValues(setting("on_exit")), "a function");
  for (const s of SETTINGS) assertEquals(acceptedValues(s).length > 0, true, s.name);
});

Deno.test("describeDefault() shows both profiles only when they differ", () => {
  assertEquals(describeDefault(setting("port")), "8080");
  assertEquals(describeDefault(setting("host")), "development: 127.0.0.1, production: 0.0.0.0");
});

Deno.test("describeValue() names unset and empty values", () => {
  assertEquals([describeValue(null), describeValue([]), describeValue(["a", "b"])], [
    "unset",
    "none",
    "a, b",
  ]);
});
