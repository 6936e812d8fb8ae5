/**
 * Tests of `X-Forwarded-Proto` from a trusted proxy: the app's `request.url` says `https:`,
 * from anyone else it does not.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { serveGuarded } from "./_http.ts";

async function urlSeen(
  trusted: string[],
  headers: Record<string, string>,
  overrides: { bodyLimit?: number } = {},
): Promise<string> {
  await using s = serveGuarded((req) => new Response(req.url), {
    forwardedAllowIps: trusted,
    ...(overrides.bodyLimit
      ? { limits: { line: 0, fields: 0, fieldSize: 0, body: overrides.bodyLimit } }
      : {}),
  });
  return await (await fetch(`${s.url}/path?q=1`, { headers })).text();
}

Deno.test("X-Forwarded-Proto: https from a trusted peer makes request.url https", async () => {
  const port = (url: string) => new URL(url).port;
  const https = await urlSeen(["127.0.0.1"], { "x-forwarded-proto": "https" });
  assertEquals(https, `https://127.0.0.1:${port(https)}/path?q=1`);
  // Appended by a second proxy: the first value is the client's.
  assertEquals(
    (await urlSeen(["127.0.0.1"], { "x-forwarded-proto": "HTTPS, http" })).slice(0, 6),
    "https:",
  );
  // A body-limited request is a copy: it is marked too.
  assertEquals(
    (await urlSeen(["127.0.0.1"], { "x-forwarded-proto": "https" }, { bodyLimit: 10 })).slice(
      0,
      6,
    ),
    "https:",
  );
});

Deno.test("X-Forwarded-Proto from an untrusted peer, or saying http, changes nothing", async () => {
  for (
    const [trusted, proto] of [
      [["10.0.0.1"], "https"],
      [[], "https"],
      [["127.0.0.1"], "http"],
      [["127.0.0.1"], "https-ish"],
    ] as const
  ) {
    const url = await urlSeen([...trusted], { "x-forwarded-proto": proto });
    assertEquals(url.slice(0, 5), "http:", `${trusted} ${proto}`);
  }
  assertEquals((await urlSeen(["127.0.0.1"], {})).slice(0, 5), "http:");
});

Deno.test("X-Forwarded-Proto: the request hooks see the https URL too, when the app takes no request", async () => {
  let seen = "";
  const context = { id: 1, pid: Deno.pid, generation: 0, log: null as never };
  await using s = serveGuarded(() => new Response("x"), {
    forwardedAllowIps: ["127.0.0.1"],
    hooks: { context, preRequest: (_w, req) => void (seen = req.url) },
  });
  await (await fetch(`${s.url}/h`, { headers: { "x-forwarded-proto": "https" } })).text();
  assertEquals(seen.slice(0, 6), "https:");
});
