/**
 * Container detection and the loopback warning, with injected files and
 * environment (this test itself may run inside a container).
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { inContainer, loopbackInContainerWarning } from "../../../src/platform/container.ts";

const NO_ENV = () => undefined;

function files(contents: Record<string, string>) {
  return (path: string) => contents[path] ?? null;
}

Deno.test("inContainer: a bare host is not a container", () => {
  const readText = files({ "/proc/1/cgroup": "0::/init.scope\n" });
  assertEquals(inContainer({ readText, getEnv: NO_ENV }), false);
  assertEquals(inContainer({ readText: () => null, getEnv: NO_ENV }), false);
});

Deno.test("inContainer: Docker and Podman marker files", () => {
  assertEquals(inContainer({ readText: files({ "/.dockerenv": "" }), getEnv: NO_ENV }), true);
  const podman = files({ "/run/.containerenv": 'engine="podman-4.3.1"\n' });
  assertEquals(inContainer({ readText: podman, getEnv: NO_ENV }), true);
});

Deno.test("inContainer: a Kubernetes pod's service variable", () => {
  const getEnv = (name: string) => name === "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : undefined;
  assertEquals(inContainer({ readText: () => null, getEnv }), true);
});

Deno.test("inContainer: a runtime named in PID 1's cgroup (cgroup v1)", () => {
  for (
    const path of [
      "/docker/3f2a",
      "/kubepods/burstable/pod1/abc",
      "/lxc/web",
      "/system.slice/containerd.service",
    ]
  ) {
    const readText = files({ "/proc/1/cgroup": `4:cpu,cpuacct:${path}\n0::/\n` });
    assertEquals(inContainer({ readText, getEnv: NO_ENV }), true, path);
  }
});

Deno.test("loopbackInContainerWarning names the fix", () => {
  assertEquals(
    loopbackInContainerWarning("127.0.0.1", true),
    'Host is "127.0.0.1" inside a container: the server is unreachable from outside; set HOST=0.0.0.0 (or HERD_HOST)',
  );
  assertEquals(
    loopbackInContainerWarning("localhost", true, "APP"),
    'Host is "localhost" inside a container: the server is unreachable from outside; set HOST=0.0.0.0 (or APP_HOST)',
  );
  // A host set somewhere is changed there: HOST would lose to BIOREMPP_HOST.
  assertEquals(
    loopbackInContainerWarning("127.0.0.1", true, "BIOREMPP", "BIOREMPP_HOST (environment)"),
    'Host is "127.0.0.1" inside a container: the server is unreachable from outside; it comes from BIOREMPP_HOST (environment): set that to 0.0.0.0',
  );
  assertEquals(typeof loopbackInContainerWarning("[::1]", true), "string");
  assertEquals(typeof loopbackInContainerWarning("127.0.1.1", true), "string");
});

Deno.test("loopbackInContainerWarning is silent outside a container or on a public address", () => {
  assertEquals(loopbackInContainerWarning("127.0.0.1", false), null);
  assertEquals(loopbackInContainerWarning("0.0.0.0", true), null);
  assertEquals(loopbackInContainerWarning("::", true), null);
  assertEquals(loopbackInContainerWarning("10.0.0.5", true), null);
});
