/**
 * Tests of the Host header check: the rule itself, and the guard answering
 * `400` over raw TCP before the app sees a path the Host rewrote.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { isValidHost, withoutHost } from "../../../src/worker/host_header.ts";
import { RawClient, serveGuarded } from "./_http.ts";

Deno.test("isValidHost takes a host and port, and nothing that would change the URL", () => {
  for (
    const good of [
      "",
      "localhost",
      "example.com:8000",
      "EXAMPLE.com.",
      "1.2.3.4",
      "10.0.0.1.:443",
      "[::1]:80",
      "[::ffff:1.2.3.4]",
      "a_b~c-d.e",
      "xn--bcher-kva.example",
      "x:",
      // IPv4 spelled as a URL reads it (127.0.0.1), as curl and Deno alone take it.
      "127.1",
      "127.1:8000",
      "0x7f.1",
      "2130706433",
    ]
  ) {
    assertEquals(isValidHost(good), true, good);
  }
  for (
    const bad of [
      "evil.com/admin",
      "x?y",
      "x#y",
      "u@x",
      "a b",
      "x\\y",
      "x:99999",
      "x:8a",
      "ex%41mple",
      "h\xc3\xa9.com",
      "a, b",
      "[::1",
      // Refused by a WHATWG URL, so `new URL(request.url)` would throw in the app.
      "1.2.3.4.5",
      "999.1.1.1",
      "09.1.1.1",
      "4294967296",
      "foo.123",
      "a.0x",
      "xn--",
      "xn--zz",
      ":80",
      "[1:2]",
      "[1.2.3.4]",
      "[1.2.3.4::]",
      "[1.2.3.4::1]",
    ]
  ) {
    assertEquals(isValidHost(bad), false, bad);
  }
});

Deno.test("every Host isValidHost takes makes a URL with the path unchanged", () => {
  const alphabet = "ab09.x-_~!$&'()*+,;=:[]%";
  let accepted = 0;
  for (let i = 0; i < 50_000; i++) {
    let host = i % 5 === 0 ? "xn--" : "";
    for (let n = 1 + (i % 9); n > 0; n--) {
      host += alphabet[(i * 7919 + n * 104729) % alphabet.length];
    }
    if (!isValidHost(host)) continue;
    accepted++;
    assertEquals(
      URL.canParse(`http://${host}/real`) && new URL(`http://${host}/real`).pathname,
      "/real",
      host,
    );
  }
  assert(accepted > 1000, `only ${accepted} accepted: the sample tests little`);
});

Deno.test("withoutHost takes back what the Host pasted into the URL", () => {
  const req = new Request("http://evil.com/admin/real?q=1", { headers: { "x-a": "1" } });
  const shown = withoutHost(req, "evil.com/admin");
  assertEquals(new URL(shown.url).pathname + new URL(shown.url).search, "/real?q=1");
  assertEquals(shown.headers.get("x-a"), "1");
  // Deno's server gives the URL as pasted; `new Request` would normalise it, so a stand-in.
  const pasted = { url: "http://x?y/real", method: "GET", headers: new Headers() } as Request;
  assertEquals(new URL(withoutHost(pasted, "x?y").url).pathname, "/real");
  // An absolute-form target: the URL never came from the Host.
  const absolute = new Request("http://other.com/abs");
  assertEquals(withoutHost(absolute, "evil.com/admin"), absolute);
});

Deno.test("a Host that would rewrite the path gets 400 and the app never runs", async () => {
  const seen: string[] = [];
  const lines: string[] = [];
  await using s = serveGuarded((req) => {
    seen.push(new URL(req.url).pathname);
    return new Response("ok");
  }, {
    accessLog: {
      timesBody: false,
      write: (req, _info, res) => lines.push(`${new URL(req.url).pathname} ${res.status}`),
    },
  });
  const send = async (host: string) => {
    using client = await RawClient.connect(s.port);
    await client.send(`GET /real HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    return await client.read();
  };
  for (const host of ["evil.com/admin", "x?y", "a b"]) {
    const res = await send(host);
    assertEquals(res.status, 400, host);
    assertEquals(res.headers.get("connection"), "close");
  }
  assertEquals(seen, []);
  // The log shows the path the client asked for, not the one the Host made.
  assertEquals(lines, ["/real 400", "/real 400", "/real 400"]);
  assertEquals((await send("example.com:80")).status, 200);
  assertEquals(seen, ["/real"]);
});

Deno.test("isValidHost() remembers only a valid host: the answers do not depend on the order", () => {
  const sequence = ["example.com", "example.com", "evil.com/admin", "example.com", "a b", "a b"];
  assertEquals(sequence.map(isValidHost), [true, true, false, true, false, false]);
  assertEquals(["x:99999", "x:80", "x:99999"].map(isValidHost), [false, true, false]);
});
