/**
 * Tests for the wording of configuration problems.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { describeOrigin, formatValue, invalidValue } from "../../../src/settings/problems.ts";

Deno.test("invalidValue() names the setting, the value, the source and what is accepted", () => {
  assertEquals(
    invalidValue({
      name: "workers",
      raw: "abc",
      origin: { source: "env", variable: "HERD_WORKERS" },
      accepted: "an integer from 1 to 1024, or auto",
    }),
    'Invalid value for "workers": "abc" from HERD_WORKERS (environment): expected an integer from 1 to 1024, or auto',
  );
});

Deno.test("describeOrigin() names each kind of source", () => {
  assertEquals(describeOrigin({ source: "cli", flag: "-w" }), "-w (command line)");
  assertEquals(describeOrigin({ source: "env", variable: "HERD_PORT" }), "HERD_PORT (environment)");
  assertEquals(
    describeOrigin({ source: ".env", variable: "HERD_PORT", file: ".env" }),
    'HERD_PORT in ".env"',
  );
  assertEquals(
    describeOrigin({ source: "config.ts", key: "profiles.production.port", file: "config.ts" }),
    'profiles.production.port in "config.ts"',
  );
  assertEquals(describeOrigin({ source: "default" }), "the default");
});

Deno.test("formatValue() quotes strings and keeps long values on one short line", () => {
  assertEquals(formatValue("a"), '"a"');
  assertEquals(formatValue(4), "4");
  assertEquals(formatValue(() => {}), "function");
  assertEquals(formatValue({ a: "x".repeat(100) }).length, 60);
  assertEquals(formatValue("two\nlines").includes("\n"), false);
  // As written, not as JSON would have them (null).
  assertEquals([formatValue(NaN), formatValue(-Infinity), formatValue(2n)], [
    "NaN",
    "-Infinity",
    "2n",
  ]);
});
