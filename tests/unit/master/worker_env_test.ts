import { assertEquals } from "../../assert.ts";
import { RESOURCE_ATTRIBUTES, withTelemetryResource } from "../../../src/master/worker_env.ts";

const WORKER = { workerId: 2, masterPid: 41, instanceId: "0b7c5b8e-5a0e-4b8e-9a44-1f1d2c3b4a59" };
const OURS = "service.instance.id=0b7c5b8e-5a0e-4b8e-9a44-1f1d2c3b4a59,herd.worker.id=2," +
  "herd.master.pid=41";

Deno.test("withTelemetryResource sets Herd's attributes when the user set none", () => {
  assertEquals(withTelemetryResource({ PATH: "/bin" }, WORKER), {
    PATH: "/bin",
    [RESOURCE_ATTRIBUTES]: OURS,
  });
});

Deno.test("withTelemetryResource keeps the user's attributes, in order, before Herd's", () => {
  const env = withTelemetryResource({
    [RESOURCE_ATTRIBUTES]: "deployment.environment=prod, team=web%20core",
    OTEL_DENO: "true",
  }, WORKER);
  assertEquals(env[RESOURCE_ATTRIBUTES], `deployment.environment=prod,team=web%20core,${OURS}`);
  assertEquals(env.OTEL_DENO, "true", "other OTEL_* variables pass through unchanged");
});

Deno.test("withTelemetryResource replaces a service.instance.id shared by every worker", () => {
  const env = withTelemetryResource({
    [RESOURCE_ATTRIBUTES]: "service.instance.id=everyone,herd.worker.id=9,region=eu",
  }, WORKER);
  assertEquals(env[RESOURCE_ATTRIBUTES], `region=eu,${OURS}`);
});

Deno.test("withTelemetryResource ignores empty entries and does not touch its input", () => {
  const parent = { [RESOURCE_ATTRIBUTES]: ",,a=1,," };
  assertEquals(withTelemetryResource(parent, WORKER)[RESOURCE_ATTRIBUTES], `a=1,${OURS}`);
  assertEquals(parent[RESOURCE_ATTRIBUTES], ",,a=1,,");
});

Deno.test("withTelemetryResource percent-encodes its values", () => {
  const env = withTelemetryResource({}, { ...WORKER, instanceId: "a b,c" });
  assertEquals(env[RESOURCE_ATTRIBUTES].split(",")[0], "service.instance.id=a%20b%2Cc");
});
