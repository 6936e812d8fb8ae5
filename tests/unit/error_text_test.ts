/**
 * Tests for the one-line error text used in every message.
 *
 * @module
 */
import { assertEquals } from "../assert.ts";
import { firstLine } from "../../src/error_text.ts";

Deno.test("firstLine() keeps the first non-blank line, without a final period", () => {
  assertEquals(firstLine(new Error("\nBoom\n  at x.ts:1:1")), "Boom");
  assertEquals(
    firstLine(new Error('Module not found "file:///x/app.ts".\n    at y')),
    'Module not found "file:///x/app.ts"',
  );
  assertEquals(firstLine("plain"), "plain");
  assertEquals(firstLine(new TypeError("")), "TypeError");
});
