/**
 * Tests for IP addresses and networks (`forwarded_allow_ips`).
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { parseIp, parseNetwork, peerMatcher } from "../../../src/platform/ip_networks.ts";

Deno.test("parseIp() reads IPv4, IPv6 with :: and an IPv4 tail, and nothing else", () => {
  assertEquals(parseIp("10.1.2.3"), [10, 1, 2, 3]);
  assertEquals(parseIp("::1"), [...new Array(15).fill(0), 1]);
  assertEquals(parseIp("fe80::1:2")?.slice(0, 2), [0xfe, 0x80]);
  assertEquals(parseIp("::ffff:10.0.0.1")?.slice(10), [0xff, 0xff, 10, 0, 0, 1]);
  assertEquals(parseIp("1:2:3:4:5:6:7:8")?.length, 16);
  for (
    const bad of ["", "10.0.0", "10.0.0.256", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7", "g::1", "abc"]
  ) {
    assertEquals(parseIp(bad), null, bad);
  }
});

Deno.test("parseNetwork() takes a prefix within the address's length", () => {
  assertEquals(parseNetwork("10.0.0.0/8"), { bytes: [10, 0, 0, 0], prefix: 8 });
  assertEquals(parseNetwork("10.0.0.1")?.prefix, 32);
  assertEquals(parseNetwork("fd00::/8")?.prefix, 8);
  for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/1", "x/8"]) {
    assertEquals(parseNetwork(bad), null, bad);
  }
});

Deno.test("peerMatcher() matches exact peers, peers inside networks, and * for all", () => {
  const trusted = peerMatcher(["127.0.0.1", "10.0.0.0/8", "192.168.4.0/22", "fd00::/8"]);
  for (const peer of ["127.0.0.1", "10.255.0.1", "192.168.7.255", "fd12:3456::1"]) {
    assertEquals(trusted(peer), true, peer);
  }
  for (const peer of ["127.0.0.2", "11.0.0.1", "192.168.8.0", "fe80::1", "-"]) {
    assertEquals(trusted(peer), false, peer);
  }
  // An IPv4 peer seen through a dual-stack socket.
  assertEquals(trusted("::ffff:127.0.0.1"), true);
  assertEquals(trusted("::ffff:10.1.1.1"), true);
  assertEquals(peerMatcher(["127.0.0.1"])("::ffff:127.0.0.1"), true);
  assertEquals(peerMatcher(["*"])("203.0.113.7"), true);
  assertEquals(peerMatcher([])("127.0.0.1"), false);
});
