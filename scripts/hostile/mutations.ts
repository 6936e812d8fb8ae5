/**
 * Randomised and mutated HTTP/1.1 requests for the fuzzer. Pure: every
 * choice comes from the {@linkcode Random} passed in, so a seed replays a
 * run exactly.
 *
 * Each request starts valid and gets zero or more mutations of the kinds
 * that break parsers: flipped bytes, truncation, duplicated or oversized
 * headers, conflicting `Transfer-Encoding`/`Content-Length`, random
 * methods and versions, NULs, and bare CR or LF line endings.
 *
 * @example
 * ```ts
 * import { mulberry32, mutatedRequest } from "./mutations.ts";
 * const random = mulberry32(42);
 * const { bytes, mutations } = mutatedRequest(random);
 * ```
 *
 * @module
 */
import { latin1 } from "./raw_exchange.ts";

/** A uniform random number in [0, 1). */
export type Random = () => number;

/** A request to send and the names of the mutations it got. */
export interface FuzzRequest {
  bytes: Uint8Array;
  mutations: string[];
}

/**
 * A small seeded PRNG (mulberry32): fast, and good enough to pick mutations.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./mutations.ts";
 * const random = mulberry32(1);
 * random(); // always the same first value for seed 1
 * ```
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "HEAD",
  "DELETE",
  "OPTIONS",
  "PATCH",
  "BREW",
  "G\0T",
  "",
  "get",
  "CONNECT",
  "TRACE",
  "X".repeat(300),
];
const VERSIONS = [
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2.0",
  "HTTP/0.9",
  "HTTP/1.1.1",
  "HTTX/1.1",
  "",
  "http/1.1",
];
const TARGETS = ["/", "/a?b=c", "*", "http://h/x", "//", "/%00", "/%zz", "/" + "p/".repeat(500)];

/** One text-level mutation of the request head and body. */
type Mutation = (parts: Parts, random: Random) => void;

interface Parts {
  line: string;
  headers: string[];
  body: string;
  eol: string;
}

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

const MUTATIONS: Record<string, Mutation> = {
  method: (p, r) => p.line = p.line.replace(/^\S*/, pick(r, METHODS)),
  version: (p, r) => p.line = p.line.replace(/\S*$/, pick(r, VERSIONS)),
  target: (p, r) => p.line = p.line.replace(/ \S* /, ` ${pick(r, TARGETS)} `),
  nul_in_line: (p, r) => p.line = insertAt(p.line, r, "\0"),
  nul_in_header: (p, r) => p.headers.push(insertAt("X-Nul: value", r, "\0")),
  duplicate_header: (p, r) => p.headers.push(pick(r, p.headers)),
  oversized_header: (p, r) => p.headers.push(`X-Big: ${"a".repeat(Math.floor(r() * 80_000))}`),
  many_headers: (p, r) => {
    for (let i = Math.floor(r() * 200); i > 0; i--) p.headers.push(`X-M${i}: ${i}`);
  },
  te_and_cl: (p) => p.headers.push("Transfer-Encoding: chunked", "Content-Length: 4"),
  bogus_te: (p, r) =>
    p.headers.push(
      `Transfer-Encoding: ${
        pick(r, ["gzip", "chunked, chunked", "xchunked", "chunked\0", " chunked"])
      }`,
    ),
  bogus_cl: (p, r) =>
    p.headers.push(
      `Content-Length: ${pick(r, ["-1", "1e3", "0x10", "99999999999999999999", "4, 5", ""])}`,
    ),
  bad_chunks: (p, r) => {
    p.headers.push("Transfer-Encoding: chunked");
    p.body = pick(r, [
      "ZZ\r\nab\r\n0\r\n\r\n",
      "5\r\nab\r\n",
      "-1\r\n\r\n",
      "3;\0\r\nabc\r\n0\r\n\r\n",
    ]);
  },
  bare_lf: (p) => p.eol = "\n",
  bare_cr: (p) => p.eol = "\r",
  mixed_eol: (p) => p.headers = p.headers.map((h, i) => i % 2 ? `${h}\r` : h),
  header_folding: (p) => p.headers.push("X-Folded: a", " continued"),
  no_colon: (p) => p.headers.push("NoColonHeader"),
  space_before_colon: (p) => p.headers.push("X-Space : v"),
};

const BYTE_MUTATIONS = ["flip_bytes", "truncate"] as const;

/**
 * A request that started valid, with up to three mutations applied.
 * About one in eight is left valid, so the server also sees ordinary
 * traffic in between.
 *
 * @example
 * ```ts
 * import { mulberry32, mutatedRequest } from "./mutations.ts";
 * mutatedRequest(mulberry32(7)).mutations; // e.g. ["bogus_cl", "truncate"]
 * ```
 */
export function mutatedRequest(random: Random): FuzzRequest {
  const parts: Parts = {
    line: `${pick(random, ["GET", "POST"])} /fuzz HTTP/1.1`,
    headers: ["Host: 127.0.0.1", "User-Agent: herd-fuzz", "Accept: */*"],
    body: "",
    eol: "\r\n",
  };
  const names = Object.keys(MUTATIONS);
  const count = random() < 0.125 ? 0 : 1 + Math.floor(random() * 3);
  const applied: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = random() < 0.2 ? pick(random, BYTE_MUTATIONS) : pick(random, names);
    applied.push(name);
    if (name in MUTATIONS) MUTATIONS[name](parts, random);
  }
  if (parts.body !== "" && !parts.headers.some((h) => /^transfer-encoding/i.test(h))) {
    parts.headers.push(`Content-Length: ${parts.body.length}`);
  }
  const text = [parts.line, ...parts.headers, "", parts.body].join(parts.eol);
  let bytes = latin1(text);
  if (applied.includes("flip_bytes")) bytes = flipBytes(bytes, random);
  if (applied.includes("truncate")) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
  return { bytes, mutations: applied };
}

function insertAt(text: string, random: Random, insert: string): string {
  const at = Math.floor(random() * (text.length + 1));
  return text.slice(0, at) + insert + text.slice(at);
}

function flipBytes(bytes: Uint8Array, random: Random): Uint8Array {
  const copy = bytes.slice();
  for (let i = 1 + Math.floor(random() * 4); i > 0 && copy.length > 0; i--) {
    copy[Math.floor(random() * copy.length)] ^= 1 << Math.floor(random() * 8);
  }
  return copy;
}
