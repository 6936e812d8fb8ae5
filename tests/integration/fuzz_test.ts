/**
 * A short `deno task fuzz` run: mutated requests for a few seconds against
 * a real Herd; the script itself fails on any worker crash.
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";

const FUZZ = new URL("../../scripts/fuzz.ts", import.meta.url).pathname;

Deno.test("fuzz: 3 s of mutated requests crash no worker", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FUZZ, "--seconds", "3", "--connections", "4", "--json"],
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(report.crashes, 0, `seed ${report.seed}`);
  assert(report.sent > 10, `only ${report.sent} requests sent`);
  assert((report.byClass["4xx"] ?? 0) > 0, "some mutations were rejected with a 4xx");
  assertEquals(report.workersAfter, report.workersBefore);
});
