/**
 * The default access log format never writes credentials: a request with
 * `Authorization` and `Cookie` through a real Herd leaves neither value in
 * the log line.
 *
 * @module
 */
import { assert } from "../assert.ts";
import { fixtureApp, startHerd } from "./_harness.ts";

Deno.test("access log: the default format writes no Authorization or Cookie value", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "1"] });
  const mark = herd.lines.length;
  const response = await fetch(`${herd.url}/secret-path`, {
    headers: {
      authorization: "Bearer tok-AUTH-1234567890",
      cookie: "session=COOKIE-abcdef; theme=dark",
    },
  });
  await response.body?.cancel();
  const line = await herd.waitForLog(/"GET \/secret-path HTTP\/1\.1" 200/, { from: mark });
  assert(!line.includes("AUTH-1234567890"), line);
  assert(!line.includes("COOKIE-abcdef"), line);
  assert(!/bearer/i.test(line), line);
});
