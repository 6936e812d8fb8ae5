/**
 * OpenTelemetry: with `OTEL_DENO=true` and an OTLP/HTTP endpoint, a request
 * to Herd produces a span from a worker whose resource names that worker
 * (`service.instance.id`, `herd.worker.id`, `herd.master.pid`) and keeps
 * the user's own attributes. The collector is a `Deno.serve` on loopback
 * that accepts OTLP as JSON.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, startHerd } from "./_harness.ts";

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string };
}
interface ResourceSpans {
  resource: { attributes: OtlpAttribute[] };
  scopeSpans: { spans: { name: string; attributes: OtlpAttribute[] }[] }[];
}

function attributes(list: OtlpAttribute[]): Record<string, string> {
  return Object.fromEntries(
    list.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? ""]),
  );
}

Deno.test("otel: a worker's span carries its service.instance.id and Herd's attributes", async () => {
  const received: ResourceSpans[] = [];
  const arrived = Promise.withResolvers<void>();
  const collector = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (r) => {
      const path = new URL(r.url).pathname;
      const body = await r.text();
      if (path === "/v1/traces") {
        received.push(...(JSON.parse(body).resourceSpans as ResourceSpans[]));
        arrived.resolve();
      }
      return Response.json({});
    },
  );
  try {
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "2"],
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.addr.port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "100", // Deno honours it: the span leaves within ~0.1 s
        OTEL_SERVICE_NAME: "herd-test",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test",
      },
    });
    const response = await fetch(herd.url);
    await response.body?.cancel();
    const pid = Number(response.headers.get("x-pid"));
    const timeout = setTimeout(() => arrived.reject(new Error("no span within 10 s")), 10_000);
    await arrived.promise.finally(() => clearTimeout(timeout));

    const served = received.find((r) =>
      r.scopeSpans.some((s) => s.spans.some((span) => /GET/.test(span.name)))
    );
    assert(served, `a GET span among ${JSON.stringify(received).slice(0, 500)}`);
    const resource = attributes(served.resource.attributes);
    assertEquals(resource["service.name"], "herd-test");
    assertEquals(resource["deployment.environment"], "test", "the user's attribute is kept");
    assertMatch(resource["service.instance.id"], /^[0-9a-f]{8}-[0-9a-f-]{27}$/);
    assertMatch(resource["herd.worker.id"], /^[12]$/);
    assertEquals(resource["herd.master.pid"], String(herd.masterPid));
    assert(herd.workerPids().includes(pid), "a worker served the request");
  } finally {
    await collector.shutdown();
  }
});
