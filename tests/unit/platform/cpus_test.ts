/**
 * The cgroup CPU quota parsers, against sample `/proc` and `/sys` trees in
 * `tests/fixtures/cgroup/<case>/` taken from real hosts.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import type { ReadText } from "../../../src/platform/read_text.ts";
import {
  cgroupCpuLimit,
  effectiveCpuCount,
  parseCfsQuota,
  parseCpuMax,
} from "../../../src/platform/cpus.ts";

const FIXTURES = new URL("../../fixtures/cgroup/", import.meta.url);

/** Reads `/proc/...` and `/sys/...` from the sample tree of one case. */
function sampleHost(name: string): ReadText {
  return (path) => {
    try {
      return Deno.readTextFileSync(new URL(`${name}${path}`, FIXTURES));
    } catch {
      return null;
    }
  };
}

Deno.test("parseCpuMax reads a quota, 'max' and junk", () => {
  assertEquals(parseCpuMax("200000 100000\n"), 2);
  assertEquals(parseCpuMax("50000 100000"), 0.5);
  assertEquals(parseCpuMax("max 100000\n"), null);
  assertEquals(parseCpuMax("max"), null);
  assertEquals(parseCpuMax(""), null);
  assertEquals(parseCpuMax("abc 100000"), null);
  assertEquals(parseCpuMax("100000 0"), null);
});

Deno.test("parseCfsQuota reads a quota and -1", () => {
  assertEquals(parseCfsQuota("400000\n", "100000\n"), 4);
  assertEquals(parseCfsQuota("150000", "100000"), 1.5);
  assertEquals(parseCfsQuota("-1\n", "100000\n"), null);
  assertEquals(parseCfsQuota("", "100000"), null);
  assertEquals(parseCfsQuota("100000", "0"), null);
});

Deno.test("a container limited to 2 CPUs on a 64-core host gets 2 (cgroup v2)", () => {
  const readText = sampleHost("v2_two_cpus");
  assertEquals(cgroupCpuLimit(readText), 2);
  assertEquals(effectiveCpuCount({ readText, hardwareConcurrency: 64 }), 2);
});

Deno.test("a parent cgroup's quota binds the container, rounded up (Kubernetes, v2)", () => {
  // The pod slice allows 1.5 CPUs; the container scope itself says "max".
  assertEquals(cgroupCpuLimit(sampleHost("v2_kubernetes_nested")), 2);
});

Deno.test("cgroup v2 without a quota leaves the affinity count", () => {
  const readText = sampleHost("v2_unlimited");
  assertEquals(cgroupCpuLimit(readText), null);
  assertEquals(effectiveCpuCount({ readText, hardwareConcurrency: 64 }), 64);
});

Deno.test("cgroup v1 quota under a mount rooted at the container's cgroup", () => {
  const readText = sampleHost("v1_docker_four_cpus");
  assertEquals(cgroupCpuLimit(readText), 4);
  assertEquals(effectiveCpuCount({ readText, hardwareConcurrency: 64 }), 4);
  assertEquals(effectiveCpuCount({ readText, hardwareConcurrency: 3 }), 3);
});

Deno.test("a hybrid v1+v2 host without a quota (this VM's layout) has no limit", () => {
  assertEquals(cgroupCpuLimit(sampleHost("hybrid_no_quota")), null);
});

Deno.test("unreadable cgroup files are ignored", () => {
  assertEquals(cgroupCpuLimit(() => null), null);
  assertEquals(effectiveCpuCount({ readText: () => null, hardwareConcurrency: 8 }), 8);
  assertEquals(effectiveCpuCount({ readText: () => null, hardwareConcurrency: 0 }), 1);
});

Deno.test("a missing mountinfo falls back to the usual mount points", () => {
  const files: Record<string, string> = {
    "/proc/self/cgroup": "0::/app.slice\n",
    "/sys/fs/cgroup/app.slice/cpu.max": "300000 100000\n",
  };
  assertEquals(cgroupCpuLimit((path) => files[path] ?? null), 3);
});

Deno.test("effectiveCpuCount on this machine is a positive integer", () => {
  const count = effectiveCpuCount();
  assertEquals(Number.isInteger(count) && count >= 1, true);
  assertEquals(count <= navigator.hardwareConcurrency, true);
});
