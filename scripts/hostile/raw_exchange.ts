/**
 * One raw HTTP/1.1 exchange over a plain TCP socket: write bytes that no
 * HTTP client would send, then read whatever comes back until the server
 * closes or a deadline passes. Shared by the hostile-client tests and the
 * fuzzer, which must see exactly what the server does with garbage.
 *
 * @example
 * ```ts
 * import { rawExchange } from "./raw_exchange.ts";
 * const seen = await rawExchange({ port: 8080 }, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * console.log(seen.status, seen.closed);
 * ```
 *
 * @module
 */

/** What came back from one {@linkcode rawExchange}. */
export interface RawOutcome {
  /** Status code of the first response, or null when none arrived. */
  status: number | null;
  /** Every status line seen, in order (pipelined requests get several). */
  statuses: number[];
  /** The bytes received, decoded as Latin-1 so garbage survives. */
  text: string;
  /** True when the server closed (FIN or RST) before the deadline. */
  closed: boolean;
  /** True when the write itself failed (the server closed mid-request). */
  writeFailed: boolean;
}

/** Where to send and how long to wait. */
export interface RawTarget {
  port: number;
  hostname?: string;
  /** Deadline for the server's answer and close, from the end of the write (default 3000). */
  timeoutMs?: number;
  /** Stop reading once this many responses arrived instead of waiting for a close. */
  stopAfter?: number;
}

/**
 * Sends `payload` on a fresh connection and reads until close or deadline.
 * Never throws for what the server does (resets, early closes); only a
 * refused connection rejects.
 *
 * @example
 * ```ts
 * import { rawExchange } from "./raw_exchange.ts";
 * const { status } = await rawExchange({ port: 8080, timeoutMs: 500 }, "\0\0\0\r\n\r\n");
 * ```
 */
export async function rawExchange(
  target: RawTarget,
  payload: string | Uint8Array,
): Promise<RawOutcome> {
  const conn = await Deno.connect({ hostname: target.hostname ?? "127.0.0.1", port: target.port });
  const bytes = typeof payload === "string" ? latin1(payload) : payload;
  let writeFailed = false;
  try {
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  } catch {
    writeFailed = true; // the server gave up on us mid-request; its answer may still be readable
  }
  const outcome = await readUntilClosed(conn, target);
  try {
    conn.close();
  } catch {
    // Already closed.
  }
  return { ...outcome, writeFailed };
}

/**
 * Reads `conn` until EOF, a reset, `stopAfter` responses or the deadline.
 *
 * @example
 * ```ts
 * import { readUntilClosed } from "./raw_exchange.ts";
 * const conn = await Deno.connect({ port: 8080 });
 * await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
 * const seen = await readUntilClosed(conn, { port: 8080, timeoutMs: 1000 });
 * ```
 */
export async function readUntilClosed(
  conn: Deno.Conn,
  target: RawTarget,
): Promise<Omit<RawOutcome, "writeFailed">> {
  const decoder = new TextDecoder("latin1");
  const buf = new Uint8Array(16 * 1024);
  let text = "";
  let closed = false;
  const deadline = Date.now() + (target.timeoutMs ?? 3000);
  while (true) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) =>
      timer = setTimeout(resolve, left, "timeout")
    );
    const read = conn.read(buf).catch(() => null);
    const n = await Promise.race([read, timeout]);
    clearTimeout(timer);
    if (n === "timeout") {
      // A read is left pending on the socket: closing the connection settles it as null.
      break;
    }
    if (n === null) {
      closed = true;
      break;
    }
    text += decoder.decode(buf.subarray(0, n));
    if (target.stopAfter !== undefined && statusesOf(text).length >= target.stopAfter) break;
  }
  const statuses = statusesOf(text);
  return { status: statuses[0] ?? null, statuses, text, closed };
}

/**
 * Status codes of the responses in `text` (status lines at line starts).
 *
 * @example
 * ```ts
 * import { statusesOf } from "./raw_exchange.ts";
 * statusesOf("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 400 Bad Request\r\n\r\n"); // [200, 400]
 * ```
 */
export function statusesOf(text: string): number[] {
  return [...text.matchAll(/(?:^|\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
}

/**
 * Encodes a string byte-for-byte (code points 0–255), so NULs, CRs and high
 * bytes in a payload are sent exactly as written.
 *
 * @example
 * ```ts
 * import { latin1 } from "./raw_exchange.ts";
 * latin1("A\0\xff"); // Uint8Array [65, 0, 255]
 * ```
 */
export function latin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}
