/**
 * Tests of the drain: Connection: close during the linger, then shutdown.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { drainServers } from "../../../src/worker/drain.ts";
import { RawClient, serveGuarded } from "./_http.ts";

Deno.test("drain answers with Connection: close, finishes in-flight requests, then shuts down", async () => {
  const app = async (req: Request) => {
    if (new URL(req.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 400));
    return new Response("ok");
  };
  await using s = serveGuarded(app, { keepaliveS: 5 });
  using client = await RawClient.connect(s.port);
  assertEquals((await client.get("/")).headers.get("connection"), null);
  const slow = fetch(`${s.url}/slow`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 20));
  let drained = false;
  const draining = drainServers({
    servers: [s.server],
    startDrain: () => s.guard.startDrain(),
    lingerMs: 200,
  }).then(() => drained = true);
  // Inside the linger window the listener still accepts, and says close.
  const during = await client.get("/");
  assertEquals([during.status, during.headers.get("connection")], [200, "close"]);
  assertEquals(await slow, "ok");
  await draining;
  assert(drained);
  // The listener is closed: a new connection is refused.
  const refused = await Deno.connect({ hostname: "127.0.0.1", port: s.port }).then(
    (c) => (c.close(), false),
    () => true,
  );
  assertEquals(refused, true);
});
