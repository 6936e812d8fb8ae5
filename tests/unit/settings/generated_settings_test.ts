/**
 * Tests for what `scripts/gen_settings_doc.ts` generates from the table: each
 * parser's type text.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
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
import { SETTINGS } from "../../../src/settings/table.ts";

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
