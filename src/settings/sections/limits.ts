/**
 * Settings of the section "Request limits": what a client may send, as in
 * Gunicorn.
 *
 * @module
 */
import { defineSetting } from "../setting.ts";
import { int } from "../coerce.ts";

const SECTION = "Request limits";

/** The settings of this section, in documentation order. */
export const limitSettings = [
  defineSetting({
    name: "limit_request_line",
    section: SECTION,
    meta: "BYTES",
    parse: int({ min: 0, max: 65_535 }),
    default: 0,
    doc:
      "Longest request line (method, URI, version); longer gets `414`. 0: the runtime's own limit (a 64 KiB request head, then `400`). Gunicorn's 4094 costs ~5% of hello-world throughput: checking makes Deno build `request.url` (free when the app reads it anyway).",
  }),
  defineSetting({
    name: "limit_request_fields",
    section: SECTION,
    meta: "INT",
    parse: int({ min: 0, max: 32_768 }),
    default: 0,
    doc:
      "Most header fields in a request; more gets `431`. 0: the runtime's limit (128 fields, then `400`). A lower limit costs ~3 µs a request (Deno copies the headers to count them).",
  }),
  defineSetting({
    name: "limit_request_field_size",
    section: SECTION,
    meta: "BYTES",
    parse: int({ min: 0, max: 65_535 }),
    default: 0,
    doc:
      "Largest single header field, counted as Gunicorn does (`Name: value` and its CRLF); larger gets `431`. 0: the runtime's limit (a 64 KiB request head, then `400`). Costs like `limit_request_fields`.",
  }),
  defineSetting({
    name: "limit_request_body",
    section: SECTION,
    meta: "BYTES",
    parse: int({ min: 0 }),
    default: 0,
    doc:
      "Largest request body: a larger `Content-Length` gets `413` before the body is read; a chunked body gets `413` once the app has read past the limit (one the app never reads is not counted). 0: unlimited.",
  }),
] as const;
