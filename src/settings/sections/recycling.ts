/**
 * Settings of the section "Recycling": when a worker is replaced by a fresh
 * one. Every replacement starts the new worker first (surge), so capacity
 * never dips.
 *
 * @module
 */
import { defineSetting } from "../setting.ts";
import { int, megabytes, seconds } from "../coerce.ts";

const SECTION = "Recycling";

/** The settings of this section, in documentation order. */
export const recyclingSettings = [
  defineSetting({
    name: "max_requests",
    section: SECTION,
    meta: "INT",
    parse: int({ min: 0 }),
    default: 0,
    doc: "Replace a worker after it has served this many requests. 0: never.",
  }),
  defineSetting({
    name: "max_requests_jitter",
    section: SECTION,
    meta: "INT",
    parse: int({ min: 0 }),
    default: 0,
    doc: "Add a random 0..N to each worker's `max_requests`, so workers do not restart together.",
  }),
  defineSetting({
    name: "max_memory",
    section: SECTION,
    meta: "MB",
    parse: megabytes(),
    default: 0,
    doc:
      "Replace a worker whose resident memory (RSS) exceeds this many megabytes. 0: never. A worker over it before serving (a hello-world worker is ~45 MB) is not replaced, since its replacement would be too: one warning says so.",
  }),
  defineSetting({
    name: "max_age",
    section: SECTION,
    meta: "SECONDS",
    parse: seconds({ max: 31_536_000 }),
    default: 0,
    doc: "Replace a worker older than this (plus up to 10% jitter). 0: never.",
  }),
] as const;
