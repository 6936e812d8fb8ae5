/**
 * Gunicorn's request limits, checked before the app sees a request:
 * request line → `414`, header count or size → `431`, body → `413`.
 *
 * Deno.serve has its own, coarser limits (about 64 KiB for the whole head,
 * 128 fields, all answered `400`), so a limit at or above the runtime's can
 * never trigger and is skipped. The header checks are the costly part: they
 * make Deno copy every header into JavaScript, about 3 µs of server CPU a
 * request (measured; a whole hello-world request is 4–8 µs).
 *
 * @example
 * ```ts
 * import { createLimitCheck } from "./request_limits.ts";
 * const check = createLimitCheck({ line: 4094, fields: 100, fieldSize: 8190, body: 0 });
 * check?.(new Request("http://localhost/")); // null: within limits
 * ```
 *
 * @module
 */

/** The limits, in bytes or counts; 0 disables one. */
export interface RequestLimits {
  /** `limit_request_line`: method, target and version. */
  line: number;
  /** `limit_request_fields`: header fields. */
  fields: number;
  /** `limit_request_field_size`: one header's line (`Name: value` and CRLF), as Gunicorn counts. */
  fieldSize: number;
  /** `limit_request_body`: body bytes. */
  body: number;
}

/** Returns an error response for a request over a limit, or null to let it through. */
export type LimitCheck = (req: Request) => Response | null;

// Deno.serve answers 400 itself past these, so a Herd limit at or above them is inert.
const RUNTIME_MAX_FIELDS = 128;
const RUNTIME_MAX_HEAD = 65_504;
// " HTTP/1.1" after the target, plus the space after the method.
const REQUEST_LINE_EXTRA = 10;

/**
 * Builds the check for `limits`, or returns null when no limit can trigger,
 * so the request path does no work at all.
 *
 * @example
 * ```ts
 * import { createLimitCheck } from "./request_limits.ts";
 * createLimitCheck({ line: 0, fields: 0, fieldSize: 0, body: 0 }); // null
 * ```
 */
export function createLimitCheck(limits: RequestLimits): LimitCheck | null {
  const line = limits.line > 0 && limits.line < RUNTIME_MAX_HEAD ? limits.line : 0;
  const fields = limits.fields > 0 && limits.fields < RUNTIME_MAX_FIELDS ? limits.fields : 0;
  const fieldSize = limits.fieldSize > 0 && limits.fieldSize < RUNTIME_MAX_HEAD
    ? limits.fieldSize
    : 0;
  const body = limits.body;
  if (line === 0 && fields === 0 && fieldSize === 0 && body === 0) return null;
  return (req) => {
    if (line > 0 && requestLineLength(req) > line) {
      return limitResponse(414, "URI Too Long");
    }
    if (fields > 0 || fieldSize > 0) {
      let count = 0;
      for (const [name, value] of req.headers) {
        if (++count > fields && fields > 0) {
          return limitResponse(431, "Request Header Fields Too Large");
        }
        // Counted as Gunicorn counts a header line: `Name: value` and its CRLF.
        if (fieldSize > 0 && name.length + value.length + 4 > fieldSize) {
          return limitResponse(431, "Request Header Fields Too Large");
        }
      }
    }
    if (body > 0) {
      const length = req.headers.get("content-length");
      if (length !== null && Number(length) > body) {
        return limitResponse(413, "Content Too Large");
      }
    }
    return null;
  };
}

/**
 * The length of the request line the client sent, rebuilt from the method
 * and URL (Deno does not expose the raw line).
 *
 * @example
 * ```ts
 * import { requestLineLength } from "./request_limits.ts";
 * requestLineLength(new Request("http://h/abc")); // 17: "GET /abc HTTP/1.1"
 * ```
 */
export function requestLineLength(req: Request): number {
  const url = req.url;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  const target = start < 0 ? 1 : url.length - start;
  return req.method.length + target + REQUEST_LINE_EXTRA;
}

/** Thrown into the app's body read when a body without `Content-Length` grows past the limit. */
export class BodyTooLargeError extends RangeError {
  /**
   * @example
   * ```ts
   * import { BodyTooLargeError } from "./request_limits.ts";
   * throw new BodyTooLargeError(1024);
   * ```
   */
  constructor(limit: number) {
    super(`Request body exceeds the limit of ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Wraps a streamed body (no `Content-Length`) so that reading past `limit`
 * bytes fails with {@linkcode BodyTooLargeError} and `onExceeded` is called.
 * Returns the request unchanged when it has a length (already checked) or
 * no body: copying a request is too costly to do for every one.
 *
 * @example
 * ```ts
 * import { limitStreamedBody } from "./request_limits.ts";
 * const req = new Request("http://h/", { method: "POST", body: "x" });
 * limitStreamedBody(req, { limit: 10, onExceeded: () => {} });
 * ```
 */
export function limitStreamedBody(
  req: Request,
  options: { limit: number; onExceeded: () => void },
): Request {
  // The header first: reading `req.body` makes Deno take the body as the app's, and it then no
  // longer answers `Connection: close` for a body the app left unread.
  if (req.headers.has("content-length") || req.body === null) return req;
  const { limit, onExceeded } = options;
  let seen = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen <= limit) return controller.enqueue(chunk);
      onExceeded();
      controller.error(new BodyTooLargeError(limit));
    },
  });
  return new Request(req, { body: req.body.pipeThrough(counter) });
}

/**
 * A short plain-text error response; the connection is asked to close, as
 * Gunicorn does after a protocol error.
 *
 * @example
 * ```ts
 * import { limitResponse } from "./request_limits.ts";
 * limitResponse(413, "Content Too Large").status; // 413
 * ```
 */
export function limitResponse(status: number, reason: string): Response {
  return new Response(`${reason}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", connection: "close" },
  });
}
