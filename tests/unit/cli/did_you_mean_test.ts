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
});

Deno.test("suggestionSuffix() is empty without a suggestion", () => {
  assertEquals(suggestionSuffix("--wokers", FLAGS), ": did you mean --workers?");
  assertEquals(suggestionSuffix("--zzz", FLAGS), "");
});
