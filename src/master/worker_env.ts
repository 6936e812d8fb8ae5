/**
 * The OpenTelemetry part of a worker's environment. Deno exports traces,
 * metrics and logs itself when `OTEL_DENO=true`, configured by the standard
 * `OTEL_*` variables; workers inherit those unchanged. What Herd adds is
 * identity: `OTEL_RESOURCE_ATTRIBUTES` gets a `service.instance.id` unique
 * to each worker process (N workers must not report as one instance), plus
 * `herd.worker.id` (the slot) and `herd.master.pid`, after the user's own
 * attributes.
 *
 * @example
 * ```ts
 * import { withTelemetryResource } from "./worker_env.ts";
 * withTelemetryResource({ OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod" }, {
 *   workerId: 2, masterPid: 41, instanceId: "7f1c2a",
 * }).OTEL_RESOURCE_ATTRIBUTES;
 * // "deployment.environment=prod,service.instance.id=7f1c2a,herd.worker.id=2,herd.master.pid=41"
 * ```
 *
 * @module
 */

/** The resource-attribute variable of the OpenTelemetry specification. */
export const RESOURCE_ATTRIBUTES = "OTEL_RESOURCE_ATTRIBUTES";

/** What identifies one worker process to a telemetry backend. */
export interface WorkerTelemetry {
  /** The worker's slot (1..workers); a replacement inherits it. */
  workerId: number;
  masterPid: number;
  /** Unique per process (a UUID, as the semantic conventions recommend). */
  instanceId: string;
}

/**
 * Pure: `parent` with Herd's resource attributes appended to
 * `OTEL_RESOURCE_ATTRIBUTES`. The user's attributes are kept, except those
 * Herd sets itself: a `service.instance.id` shared by every worker would
 * merge N processes into one instance.
 *
 * @example
 * ```ts
 * import { withTelemetryResource } from "./worker_env.ts";
 * withTelemetryResource({}, { workerId: 1, masterPid: 7, instanceId: "abc" });
 * // { OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=abc,herd.worker.id=1,herd.master.pid=7" }
 * ```
 */
export function withTelemetryResource(
  parent: Readonly<Record<string, string>>,
  worker: WorkerTelemetry,
): Record<string, string> {
  const ours: [string, string][] = [
    ["service.instance.id", worker.instanceId],
    ["herd.worker.id", String(worker.workerId)],
    ["herd.master.pid", String(worker.masterPid)],
  ];
  const keys = new Set(ours.map(([key]) => key));
  const kept = (parent[RESOURCE_ATTRIBUTES] ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter((pair) => pair.length > 0 && !keys.has(pair.split("=", 1)[0].trim()));
  const added = ours.map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return { ...parent, [RESOURCE_ATTRIBUTES]: [...kept, ...added].join(",") };
}

/**
 * `env` (by default this process's environment) with the resource
 * attributes of worker `workerId` (a fresh instance id each call: each
 * spawn is a new instance).
 *
 * @example
 * ```ts
 * import { telemetryEnvFor } from "./worker_env.ts";
 * telemetryEnvFor(1).OTEL_RESOURCE_ATTRIBUTES; // "...,service.instance.id=<uuid>,herd.worker.id=1,..."
 * ```
 */
export function telemetryEnvFor(
  workerId: number,
  env: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  return withTelemetryResource(env, {
    workerId,
    masterPid: Deno.pid,
    instanceId: crypto.randomUUID(),
  });
}

/**
 * This process's environment with `dotenv` (the .env file's variables the environment does
 * not set, or sets empty) over it: what a worker, or the probe standing in for one, is given.
 *
 * @example
 * ```ts
 * import { workerEnvironment } from "./worker_env.ts";
 * workerEnvironment({ DATABASE_URL: "postgres://db" }).DATABASE_URL; // "postgres://db"
 * ```
 */
export function workerEnvironment(
  dotenv: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...Deno.env.toObject(), ...dotenv };
}
