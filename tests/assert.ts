/**
 * The few assertions the tests need. `jsr:@std/assert` is unreachable from
 * our machines, so this one file stands in for it; swapping back is a
 * one-file change.
 *
 * @module
 */
export {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  notStrictEqual as assertNotEquals,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";
