/**
 * Tests of Connection and Keep-Alive headers, read over raw TCP.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { RawClient, serveGuarded } from "./_http.ts";

const hello = () => new Response("hello");

Deno.test("keepalive 0 puts Connection: close on every response", async () => {
  await using s = serveGuarded(hello, { keepaliveS: 0 });
  using client = await RawClient.connect(s.port);
  const res = await client.get("/");
  assertEquals(res.headers.get("connection"), "close");
  assertEquals(res.headers.get("keep-alive"), null);
});

Deno.test("keepalive advertises Keep-Alive once per connection and caps its requests", async () => {
  await using s = serveGuarded(hello, { keepaliveS: 5, keepaliveRequests: 3 });
  using client = await RawClient.connect(s.port);
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const res = await client.get("/");
    seen.push([res.headers.get("keep-alive"), res.headers.get("connection")]);
  }
  assertEquals(seen, [
    ["timeout=5, max=3", null],
    [null, null],
    [null, "close"],
  ]);
  // Another connection has its own count.
  using other = await RawClient.connect(s.port);
  assertEquals((await other.get("/")).headers.get("keep-alive"), "timeout=5, max=3");
});

Deno.test("immutable responses are copied before headers are added", async () => {
  await using s = serveGuarded(() => Response.redirect("http://127.0.0.1/elsewhere", 302), {
    keepaliveS: 0,
  });
  using client = await RawClient.connect(s.port);
  const res = await client.get("/");
  assertEquals(res.status, 302);
  assertEquals(res.headers.get("location"), "http://127.0.0.1/elsewhere");
  assertEquals(res.headers.get("connection"), "close");
});

Deno.test("while draining every response says Connection: close", async () => {
  await using s = serveGuarded(hello, { keepaliveS: 5 });
  using client = await RawClient.connect(s.port);
  assertEquals((await client.get("/")).headers.get("connection"), null);
  s.guard.startDrain();
  assertEquals((await client.get("/")).headers.get("connection"), "close");
});

Deno.test("without the request, no Keep-Alive hint and no per-connection cap; draining still closes", async () => {
  // A parameterless app and no feature that reads the request: Deno builds none, so the
  // guard cannot tell connections apart.
  await using s = serveGuarded(() => new Response("hi"), {
    keepaliveS: 5,
    keepaliveRequests: 2,
    limits: { line: 0, fields: 0, fieldSize: 0, body: 0 },
  });
  assertEquals(s.guard.readsRequest, false);
  using client = await RawClient.connect(s.port);
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const res = await client.get("/");
    seen.push([res.headers.get("keep-alive"), res.headers.get("connection")]);
  }
  assertEquals(seen, [[null, null], [null, null], [null, null]]);
  s.guard.startDrain();
  assertEquals((await client.get("/")).headers.get("connection"), "close");
});

Deno.test("an app that takes the request keeps per-connection keep-alive with Herd's defaults", async () => {
  await using s = serveGuarded((_req: Request) => new Response("hi"), {
    keepaliveS: 5,
    keepaliveRequests: 2,
    limits: { line: 0, fields: 0, fieldSize: 0, body: 0 },
  });
  using client = await RawClient.connect(s.port);
  const first = await client.get("/");
  assertEquals(first.headers.get("keep-alive"), "timeout=5, max=2");
  assertEquals((await client.get("/")).headers.get("connection"), "close");
});

Deno.test("a Response the app keeps and answers again carries only this request's headers", async () => {
  // One bodiless Response for every request, as apps keep a 204 or a 404.
  const kept = new Response(null, { status: 404 });
  await using s = serveGuarded(() => kept, { keepaliveS: 5, keepaliveRequests: 2 });
  const seen = [];
  for (let connection = 0; connection < 2; connection++) {
    using client = await RawClient.connect(s.port);
    for (let i = 0; i < 2; i++) {
      const res = await client.get("/");
      seen.push([res.status, res.headers.get("keep-alive"), res.headers.get("connection")]);
    }
  }
  // The first connection's last response closed it; the second starts afresh.
  assertEquals(seen, [
    [404, "timeout=5, max=2", null],
    [404, null, "close"],
    [404, "timeout=5, max=2", null],
    [404, null, "close"],
  ]);
});

Deno.test("the app's own Keep-Alive or Connection: close gets no hint from Herd", async () => {
  const app = (req: Request) =>
    new URL(req.url).pathname === "/own"
      ? new Response("own", { headers: { "keep-alive": "timeout=99, max=5" } })
      : new Response("closing", { headers: { connection: "close" } });
  await using s = serveGuarded(app, { keepaliveS: 5, keepaliveRequests: 0 });
  {
    using client = await RawClient.connect(s.port);
    const own = await client.get("/own");
    assertEquals(own.headers.get("keep-alive"), "timeout=99, max=5");
  }
  using client = await RawClient.connect(s.port);
  const closing = await client.get("/close");
  assertEquals(closing.headers.get("keep-alive"), null);
  assertEquals(closing.headers.get("connection"), "close");
});

Deno.test("a kept Response answered to two connections at the same moment gets each its own headers", async () => {
  const kept = new Response(null, { status: 204 });
  let gate = Promise.withResolvers<void>();
  // Both requests wait on the same gate, so both answers settle in one turn, before Deno sends.
  await using s = serveGuarded(async () => (await gate.promise, kept), {
    keepaliveS: 5,
    keepaliveRequests: 2,
  });
  using first = await RawClient.connect(s.port);
  using second = await RawClient.connect(s.port);
  const opening = first.get("/");
  gate.resolve();
  assertEquals((await opening).headers.get("keep-alive"), "timeout=5, max=2");
  gate = Promise.withResolvers<void>();
  // The first connection's last request (Connection: close), the second's first (the hint).
  const last = first.get("/");
  const fresh = second.get("/");
  await new Promise((r) => setTimeout(r, 50));
  gate.resolve();
  const [a, b] = await Promise.all([last, fresh]);
  assertEquals([a.headers.get("connection"), a.headers.get("keep-alive")], ["close", null]);
  assertEquals([b.headers.get("connection"), b.headers.get("keep-alive")], [
    null,
    "timeout=5, max=2",
  ]);
});

Deno.test("a frozen Response the app answers is sent as it is, as Deno alone sends it", async () => {
  // Deno's own headers getter writes to the Response: a frozen one cannot even be read.
  const frozen = Object.freeze(new Response(null, { status: 204 }));
  await using s = serveGuarded(() => frozen, { keepaliveS: 0 });
  using client = await RawClient.connect(s.port);
  for (let i = 0; i < 2; i++) {
    const res = await client.get("/");
    assertEquals([res.status, res.headers.get("connection")], [204, null]);
  }
});
