/**
 * Tests for the environment source.
 *
 * @module
 */
import { assertEquals } from "../../../assert.ts";
import {
  readEnvironment,
  readPlatformVariables,
} from "../../../../src/settings/sources/environment.ts";

Deno.test("readEnvironment() reads <PREFIX>_<NAME> and ignores other variables", () => {
  const { values, warnings } = readEnvironment(
    { HERD_WORKERS: "4", HERD_WORKER_CLASS: "sync", PATH: "/bin", HERDSMAN: "x" },
    { prefix: "HERD" },
  );
  assertEquals(values.get("workers"), {
    raw: "4",
    origin: { source: "env", variable: "HERD_WORKERS" },
  });
  assertEquals(values.get("worker_class")?.raw, "sync");
  assertEquals(values.size, 2);
  assertEquals(warnings, []);
});

Deno.test("readEnvironment() warns about unknown prefixed variables with a suggestion", () => {
  const { warnings } = readEnvironment({ HERD_WORKRS: "2", HERD_COLOUR: "red" }, {
    prefix: "HERD",
  });
  assertEquals(warnings, [
    'Unknown variable "HERD_WORKRS" (environment): did you mean HERD_WORKERS?',
    'Unknown variable "HERD_COLOUR" (environment)',
  ]);
});

Deno.test("readEnvironment() ignores, with a warning, settings that cannot come from the environment", () => {
  const { values, warnings } = readEnvironment({ HERD_ENV_PREFIX: "X", HERD_ON_STARTING: "f" }, {
    prefix: "HERD",
  });
  assertEquals(values.size, 0);
  assertEquals(warnings, [
    'Ignored variable "HERD_ENV_PREFIX" (environment): "env_prefix" cannot be set from the environment',
    'Ignored variable "HERD_ON_STARTING" (environment): "on_starting" cannot be set from the environment',
  ]);
});

Deno.test("readEnvironment() honours another prefix and names a .env origin", () => {
  const { values, warnings } = readEnvironment({ MYAPP_PORT: "1", HERD_PORT: "2" }, {
    prefix: "MYAPP",
    dotenvFile: ".env",
  });
  assertEquals(values.get("port"), {
    raw: "1",
    origin: { source: ".env", variable: "MYAPP_PORT", file: ".env" },
  });
  assertEquals(warnings, []);
});

Deno.test("readPlatformVariables() maps PORT, HOST and WEB_CONCURRENCY, nothing else", () => {
  const values = readPlatformVariables(
    { PORT: "3000", WEB_CONCURRENCY: "3", HOST: "0.0.0.0", HOSTNAME: "box" },
    {},
  );
  assertEquals(values.get("port"), { raw: "3000", origin: { source: "env", variable: "PORT" } });
  assertEquals(values.get("workers")?.raw, "3");
  assertEquals(values.get("host")?.raw, "0.0.0.0");
  assertEquals(values.size, 3);
});

Deno.test("readEnvironment() leaves a setting unset for an empty variable, unless empty turns it off", () => {
  const env = { HERD_WORKERS: "", HERD_APP: " ", HERD_USER: "", HERD_ACCESS_LOG: " " };
  const result = readEnvironment(env, { prefix: "HERD" });
  assertEquals([...result.values.entries()], [
    ["access_log", { raw: "", origin: { source: "env", variable: "HERD_ACCESS_LOG" } }],
  ]);
  assertEquals(result.warnings, [
    'Ignored "HERD_WORKERS" (environment): empty, so it does not set "workers"',
    'Ignored "HERD_APP" (environment): empty, so it does not set "app"',
    'Ignored "HERD_USER" (environment): empty, so it does not set "user"',
  ]);
  const warnings: string[] = [];
  const platform = readPlatformVariables({ PORT: "", HOST: "0.0.0.0" }, { warnings });
  assertEquals([...platform.keys()], ["host"]);
  assertEquals(warnings, ['Ignored "PORT" (environment): empty, so it does not set "port"']);
});
