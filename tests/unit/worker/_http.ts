/**
 * Test helpers for the worker: a guarded Deno.serve on 127.0.0.1 port 0,
 * and a raw HTTP/1.1 client for when the exact response headers matter
 * (fetch hides `Connection` and `Keep-Alive`).
 *
 * @module
 */
import {
  createRequestGuard,
  type FetchHandler,
  type RequestGuard,
  type RequestGuardOptions,
} from "../../../src/worker/request_guard.ts";

/** Options as Herd's defaults would give them, for tests to override. */
export const DEFAULT_GUARD: RequestGuardOptions = {
  workerClass: "async",
  maxInFlight: 1000,
  timeoutS: 0,
  keepaliveS: 2,
  keepaliveRequests: 0,
  limits: { line: 4094, fields: 100, fieldSize: 8190, body: 0 },
};

/** A running guarded server; `await using` shuts it down. */
export interface GuardedServer extends AsyncDisposable {
  port: number;
  url: string;
  guard: RequestGuard;
  server: Deno.HttpServer;
}

/** Serves `app` behind a guard built from {@linkcode DEFAULT_GUARD} plus `overrides`. */
export function serveGuarded(
  app: FetchHandler,
  overrides: Partial<RequestGuardOptions> = {},
): GuardedServer {
  const guard = createRequestGuard(app, { ...DEFAULT_GUARD, ...overrides });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, guard.handler);
  const port = server.addr.port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    guard,
    server,
    async [Symbol.asyncDispose]() {
      guard.close();
      await server.shutdown();
    },
  };
}

/** One parsed response from {@linkcode RawClient}. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** A raw HTTP/1.1 connection: write exact bytes, read whole responses. */
export class RawClient implements Disposable {
  #conn: Deno.TcpConn;
  #buffer = "";
  #decoder = new TextDecoder();

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /** GET `path` with extra header lines, and read the response. */
  async get(path: string, extraHeaders: string[] = []): Promise<RawResponse> {
    await this.send(
      [`GET ${path} HTTP/1.1`, "Host: 127.0.0.1", ...extraHeaders, "", ""].join("\r\n"),
    );
    return await this.read();
  }

  /** Reads one response (Content-Length bodies only); throws after 5 s or on EOF. */
  async read(): Promise<RawResponse> {
    const deadline = Date.now() + 5000;
    while (true) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [statusLine, ...lines] = this.#buffer.slice(0, end).split("\r\n");
        const headers = new Headers();
        for (const line of lines) {
          const colon = line.indexOf(":");
          headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        const length = Number(headers.get("content-length") ?? 0);
        if (this.#buffer.length >= end + 4 + length) {
          const body = this.#buffer.slice(end + 4, end + 4 + length);
          this.#buffer = this.#buffer.slice(end + 4 + length);
          return { status: Number(statusLine.split(" ")[1]), headers, body };
        }
      }
      if (Date.now() > deadline) throw new Error("No complete response within 5 s");
      const chunk = new Uint8Array(65536);
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error(`Connection closed; got ${JSON.stringify(this.#buffer)}`);
      this.#buffer += this.#decoder.decode(chunk.subarray(0, n), { stream: true });
    }
  }

  [Symbol.dispose](): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed by the server.
    }
  }
}
