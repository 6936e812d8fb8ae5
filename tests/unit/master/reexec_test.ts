/**
 * Tests of what a USR2 upgrade hands the new master: the old master's
 * addresses, and which of the new master's addresses it must still check.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import {
  notHeldBy,
  takeUpgradeAddresses,
  UPGRADE_ADDRESSES_ENV,
} from "../../../src/master/reexec.ts";
import type { ListenAddress } from "../../../src/settings/addresses.ts";

const tcp = (hostname: string, port: number): ListenAddress => ({
  transport: "tcp",
  hostname,
  port,
});

Deno.test("notHeldBy() leaves what the old master serves out: its ports on any host, its sockets", () => {
  const held = [tcp("0.0.0.0", 8000), { transport: "unix", path: "/run/a.sock" } as const];
  const wanted = [
    tcp("127.0.0.1", 8000),
    tcp("127.0.0.1", 8001),
    { transport: "unix", path: "/run/a.sock" } as const,
    { transport: "unix", path: "/run/b.sock" } as const,
  ];
  assertEquals(notHeldBy(wanted, held), [wanted[1], wanted[3]]);
  assertEquals(notHeldBy(wanted, []), wanted);
});

Deno.test("takeUpgradeAddresses() reads the old master's addresses once, and refuses a malformed value", () => {
  const addresses = [tcp("127.0.0.1", 8000), { transport: "unix", path: "/run/a.sock" }];
  Deno.env.set(UPGRADE_ADDRESSES_ENV, JSON.stringify(addresses));
  assertEquals(takeUpgradeAddresses(), addresses);
  assertEquals(Deno.env.get(UPGRADE_ADDRESSES_ENV), undefined, "cleared: workers never see it");
  assertEquals(takeUpgradeAddresses(), null);
  for (
    const bad of ["{", "{}", '[{"transport":"tcp","hostname":"x","port":0}]', '[{"path":"/a"}]']
  ) {
    Deno.env.set(UPGRADE_ADDRESSES_ENV, bad);
    assertEquals(takeUpgradeAddresses(), null, bad);
  }
});
