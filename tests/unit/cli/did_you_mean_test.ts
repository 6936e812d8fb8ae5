/**
 * Tests for closest-name suggestions.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { didYouMean, suggestionSuffix } from "../../../src/cli/did_you_mean.ts";

const FLAGS = ["--workers", "--worker-class", "--timeout", "--bind", "--port"];

Deno.test("didYouMean() finds a dropped, an added and a swapped letter", () => {
  assertEquals(didYouMean("--wokers", FLAGS), "--workers");
  assertEquals(didYouMean("--workerss", FLAGS), "--workers");
  assertEquals(didYouMean("--tiemout", FLAGS), "--timeout");
  assertEquals(didYouMean("HERD_WORKRS", ["HERD_WORKERS", "HERD_PORT"]), "HERD_WORKERS");
});

Deno.test("didYouMean() ignores case", () => {
  assertEquals(didYouMean("--PORT", FLAGS), "--port");
});

Deno.test("didYouMean() suggests nothing for an unrelated word", () => {
  assertEquals(didYouMean("--colour", FLAGS), undefined);
  assertEquals(didYouMean("x", []), undefined);
  // The prefix every variable has is no part of the word: NOPE is no typo of APP.
  assertEquals(didYouMean("HERD_NOPE", ["HERD_APP", "HERD_PORT", "HERD_WORKERS"]), undefined);
});

Deno.test("suggestionSuffix() is empty without a suggestion", () => {
  assertEquals(suggestionSuffix("--wokers", FLAGS), ": did you mean --workers?");
  assertEquals(suggestionSuffix("--zzz", FLAGS), "");
});

Deno.test("didYouMean() knows Gunicorn's names for Herd's settings, in every form", () => {
  assertEquals(didYouMean("preload_app", ["preload", "port"]), "preload");
  assertEquals(didYouMean("--preload-app", ["--preload", "--port"]), "--preload");
  assertEquals(didYouMean("APP_PRELOAD_APP", ["APP_PRELOAD", "APP_PORT"]), "APP_PRELOAD");
  assertEquals(didYouMean("accesslog", ["access_log", "error_log"]), "access_log");
  assertEquals(didYouMean("HERD_LOGLEVEL", ["HERD_LOG_LEVEL"]), "HERD_LOG_LEVEL");
  // Gunicorn's flags: --log-file is nearest --env-file by edits, and means the error log.
  const flags = ["--error-log", "--access-log", "--env-file"];
  assertEquals(didYouMean("--log-file", flags), "--error-log");
  assertEquals(didYouMean("--access-logfile", flags), "--access-log");
  assertEquals(didYouMean("--error-logfile", flags), "--error-log");
});
