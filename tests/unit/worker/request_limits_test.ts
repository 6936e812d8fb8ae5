/**
 * Tests of Gunicorn-style request limits (414, 431, 413), over raw TCP.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { requestLineLength } from "../../../src/worker/request_limits.ts";
import { RawClient, serveGuarded } from "./_http.ts";

const LIMITS = { line: 100, fields: 10, fieldSize: 200, body: 50 };

Deno.test("requestLineLength rebuilds method, target and version", () => {
  assertEquals(
    requestLineLength(new Request("http://h:8080/abc?x=1")),
    "GET /abc?x=1 HTTP/1.1".length,
  );
  assertEquals(
    requestLineLength(new Request("http://h/", { method: "POST" })),
    "POST / HTTP/1.1".length,
  );
});

Deno.test("limits answer 414, 431 and 413 before the app runs", async () => {
  let appCalls = 0;
  const app = async (req: Request) => {
    appCalls++;
    return new Response(`read ${(await req.text()).length}`);
  };
  await using s = serveGuarded(app, { limits: LIMITS });
  const statusOf = async (request: string) => {
    using client = await RawClient.connect(s.port);
    await client.send(request);
    return (await client.read()).status;
  };
  assertEquals(await statusOf(`GET /${"a".repeat(120)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414);
  const many = Array.from({ length: 12 }, (_, i) => `X-H${i}: v\r\n`).join("");
  assertEquals(await statusOf(`GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n`), 431);
  assertEquals(
    await statusOf(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(250)}\r\n\r\n`),
    431,
  );
  const body = "z".repeat(60);
  assertEquals(
    await statusOf(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
    413,
  );
  assertEquals(appCalls, 0);
  assertEquals(await statusOf(`GET /ok HTTP/1.1\r\nHost: x\r\n\r\n`), 200);
  // A field is counted as Gunicorn counts it, `Name: value` and CRLF: 5 + 2 + 191 + 2 = 200.
  const field = (n: number) => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(n)}\r\n\r\n`;
  assertEquals(await statusOf(field(191)), 200);
  assertEquals(await statusOf(field(192)), 431);
  assertEquals(appCalls, 2);
});

Deno.test("a chunked body past the limit fails the app's read and answers 413", async () => {
  const readErrors: string[] = [];
  const app = async (req: Request) => {
    try {
      return new Response(`read ${(await req.text()).length}`);
    } catch (error) {
      readErrors.push((error as Error).name);
      throw error;
    }
  };
  await using s = serveGuarded(app, { limits: LIMITS });
  const chunked = (size: number) =>
    `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n` +
    `${size.toString(16)}\r\n${"c".repeat(size)}\r\n0\r\n\r\n`;
  using small = await RawClient.connect(s.port);
  await small.send(chunked(40));
  assertEquals((await small.read()).body, "read 40");
  using big = await RawClient.connect(s.port);
  await big.send(chunked(80));
  assertEquals((await big.read()).status, 413);
  assertEquals(readErrors.length, 1);
});

Deno.test("limits of 0 are off", async () => {
  await using s = serveGuarded(() => new Response("ok"), {
    limits: { line: 0, fields: 0, fieldSize: 0, body: 0 },
  });
  using client = await RawClient.connect(s.port);
  assertEquals((await client.get(`/${"a".repeat(5000)}`)).status, 200);
});

Deno.test("with limit_request_body on, a body the app leaves unread still closes its connection", async () => {
  // Deno answers `Connection: close` when a body was not read: the client cannot reuse a
  // connection with the rest of it unsent. Herd's limit must not take that away.
  await using s = serveGuarded(() => new Response("ignored your body"), {
    limits: { line: 0, fields: 0, fieldSize: 0, body: 1_000_000 },
  });
  using client = await RawClient.connect(s.port);
  await client.send(
    "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n" + "a".repeat(1000),
  );
  const res = await client.read();
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("connection"), "close");
});
