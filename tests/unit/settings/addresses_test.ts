/**
 * Tests for listen addresses: which hosts are accepted, and `bind` entries.
 *
 * @module
 */
import { assertEquals, assertThrows } from "../../assert.ts";
import { isHostName, listenAddresses, parseBind } from "../../../src/settings/addresses.ts";

Deno.test("isHostName() accepts IP addresses and RFC 1123 names, nothing else", () => {
  for (
    const host of [
      "0.0.0.0",
      "127.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1",
      "localhost",
      "api.internal",
      "web-1.example.com",
    ]
  ) {
    assertEquals(isHostName(host), true, host);
  }
  for (
    const host of [
      "",
      "999.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "not a host",
      "-web",
      "web-",
      "a..b",
      "fe80::zz",
      "host_name",
      "x".repeat(64),
    ]
  ) {
    assertEquals(isHostName(host), false, host);
  }
});

Deno.test("parseBind() reads each form and names a malformed entry", () => {
  assertEquals(parseBind("[::1]:8080"), { transport: "tcp", hostname: "::1", port: 8080 });
  assertEquals(parseBind(":9000"), { transport: "tcp", hostname: "127.0.0.1", port: 9000 });
  assertEquals(parseBind("0.0.0.0"), { transport: "tcp", hostname: "0.0.0.0", port: 8080 });
  assertEquals(parseBind("unix:/run/h.sock"), { transport: "unix", path: "/run/h.sock" });
  assertThrows(() => parseBind("999.1.1.1:80"), TypeError, 'Invalid bind "999.1.1.1:80": bad host');
  assertThrows(() => parseBind("host:99999"), TypeError, "port must be 0 to 65535");
  // A forgotten port is an error, not the default port served unannounced.
  assertThrows(() => parseBind("127.0.0.1:"), TypeError, "no port after");
  assertThrows(() => parseBind("[::1]:"), TypeError, "no port after");
  assertThrows(() => parseBind("::1:80"), TypeError, "write IPv6 addresses as [ADDRESS]:PORT");
});

Deno.test("listenAddresses() uses host and port when bind is empty", () => {
  assertEquals(listenAddresses({ bind: [], host: "::", port: 80 }), [
    { transport: "tcp", hostname: "::", port: 80 },
  ]);
  assertEquals(listenAddresses({ bind: [":81"], host: "10.0.0.1", port: 80 }), [
    { transport: "tcp", hostname: "10.0.0.1", port: 81 },
  ]);
});

Deno.test("parseBind() says a scheme is not supported, and what is", () => {
  for (const [entry, scheme] of [["tcp://127.0.0.1:8000", "tcp"], ["fd://3", "fd"]]) {
    // node:assert's throws() takes the expected error as an object: a string is its own message.
    assertThrows(() => parseBind(entry), {
      name: "TypeError",
      message:
        `Invalid bind "${entry}": the scheme "${scheme}://" is not supported; write HOST:PORT, [IPV6]:PORT or unix:PATH`,
    });
  }
});
