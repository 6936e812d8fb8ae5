/**
 * Hostile clients against a real Herd (two workers), over raw sockets:
 * every malformed, oversized or truncated request gets a 4xx or a closed
 * connection, no worker dies, and a well-behaved client running alongside
 * is served throughout. Also the Gunicorn limits (414, 431, 413) end to end.
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";
import {
  assertNothingLost,
  fixtureApp,
  freePort,
  HAVE_PRLIMIT,
  type Herd,
  limitOpenFiles,
  loadLoop,
  restartCounts,
  startHerd,
} from "./_harness.ts";
import {
  latin1,
  rawExchange,
  type RawOutcome,
  readUntilClosed,
} from "../../scripts/hostile/raw_exchange.ts";

const OK_HEAD = "GET / HTTP/1.1\r\nHost: localhost\r\n";

/** A hostile payload and what it probes. */
interface Case {
  name: string;
  payload: string | Uint8Array;
}

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let off = 0; off < n; off += 65_536) {
    crypto.getRandomValues(bytes.subarray(off, off + 65_536));
  }
  return bytes;
}

const CASES: Case[] = [
  { name: "garbage request line", payload: "THIS IS NOT HTTP\r\n\r\n" },
  { name: "missing version", payload: "GET /\r\nHost: x\r\n\r\n" },
  { name: "bad version", payload: "GET / HTTP/9.Z\r\nHost: x\r\n\r\n" },
  { name: "invalid method characters", payload: "G(E)T / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "space in a header name", payload: `${OK_HEAD}Bad Header: x\r\n\r\n` },
  { name: "header without a colon", payload: `${OK_HEAD}NoColonHere\r\n\r\n` },
  { name: "NUL in the request line", payload: "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "NUL in a header value", payload: `${OK_HEAD}X-Evil: a\0b\r\n\r\n` },
  { name: "NUL in a header name", payload: `${OK_HEAD}X-E\0vil: a\r\n\r\n` },
  {
    name: "bad chunk size",
    payload:
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n",
  },
  {
    name: "Content-Length and Transfer-Encoding",
    payload:
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  },
  {
    name: "two different Content-Lengths",
    payload: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
  },
  { name: "negative Content-Length", payload: `${OK_HEAD}Content-Length: -5\r\n\r\n` },
  // Deno pastes the Host in front of the path: the app would see /admin/real.
  { name: "a Host that rewrites the path", payload: "GET /real HTTP/1.1\r\nHost: x/admin\r\n\r\n" },
  { name: "a Host with a query", payload: "GET /real HTTP/1.1\r\nHost: x?y\r\n\r\n" },
  { name: "64 KiB of random garbage", payload: randomBytes(64 * 1024) },
  { name: "oversized header block", payload: `${OK_HEAD}X-Big: ${"a".repeat(70_000)}\r\n\r\n` },
  {
    name: "too many headers",
    payload: `${OK_HEAD}${Array.from({ length: 200 }, (_, i) => `X-H${i}: v\r\n`).join("")}\r\n`,
  },
  {
    name: "too-long request line",
    payload: `GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  },
  {
    name: "TLS ClientHello on the plain port",
    payload: latin1("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
  },
];

function assertRejected(name: string, seen: RawOutcome): void {
  const why = `${name}: ${JSON.stringify(seen.text.slice(0, 120))}`;
  if (seen.status === null) {
    assert(seen.closed || seen.writeFailed, `${name}: neither answered nor closed`);
  } else {
    assert(seen.status >= 400 && seen.status < 500, `${name}: not a 4xx: ${why}`);
  }
}

/** Runs `body` while a polite client keeps requesting; asserts it was always served. */
async function withPoliteClient(herd: Herd, body: () => Promise<void>): Promise<void> {
  const stop = new AbortController();
  const polite = loadLoop(herd.url, { concurrency: 1, signal: stop.signal, keepAlive: true });
  try {
    await body();
  } finally {
    stop.abort();
  }
  const result = await polite;
  assertNothingLost(result, "polite requests");
  assert(result.ok > 0, "the polite client was served");
}

function assertNoWorkerDied(herd: Herd, before: number[], linesAtStart: number): void {
  assertEquals(herd.workerPids(), before, "the same worker processes before and after");
  const later = herd.lines.slice(linesAtStart);
  const restarts = later.filter((l) => /Booting worker|exited|restart/i.test(l));
  assertEquals(restarts, [], "no worker exited or restarted");
}

Deno.test("hostile: malformed and oversized requests get a 4xx or a close, workers live", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--limit-request-body", "1024"],
  });
  const before = herd.workerPids();
  assertEquals(before.length, 2);
  const mark = herd.lines.length;
  await withPoliteClient(herd, async () => {
    // Twice each, so both workers (chosen by the kernel per connection) likely see each one.
    for (const round of [1, 2]) {
      await Promise.all(CASES.map(async ({ name, payload }) => {
        assertRejected(`${name} (round ${round})`, await rawExchange({ port: herd.port }, payload));
      }));
    }
  });
  assertNoWorkerDied(herd, before, mark);
});

Deno.test("hostile: pipelined valid-then-garbage answers the valid request, then rejects", async () => {
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2"] });
  const before = herd.workerPids();
  const mark = herd.lines.length;
  await withPoliteClient(herd, async () => {
    const seen = await rawExchange(
      { port: herd.port },
      `${OK_HEAD}\r\nGARBAGE\0\x01\x02 NOT HTTP\r\n\r\n`,
    );
    assertEquals(seen.statuses[0], 200, seen.text);
    assert(seen.closed, "closed after the garbage");
    assert(seen.statuses.slice(1).every((s) => s >= 400 && s < 500), seen.text);
  });
  assertNoWorkerDied(herd, before, mark);
});

Deno.test("hostile: a huge Content-Length gets 413 while the client is still sending", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--limit-request-body", "1024"],
  });
  const before = herd.workerPids();
  await withPoliteClient(herd, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: herd.port });
    try {
      const head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n";
      await conn.write(latin1(head + "x".repeat(512)));
      // Nothing more is sent: a server that waited for the body would never answer.
      const seen = await readUntilClosed(conn, { port: herd.port, timeoutMs: 5000, stopAfter: 1 });
      assertEquals(seen.status, 413, seen.text);
    } finally {
      conn.close();
    }
  });
  assertEquals(herd.workerPids(), before);
});

Deno.test("hostile: limit_request_line, _fields and _field_size answer 414 and 431", async () => {
  await using herd = await startHerd({
    args: [
      fixtureApp("hello.ts"),
      "-w",
      "2",
      "--limit-request-line",
      "100",
      "--limit-request-fields",
      "10",
      "--limit-request-field-size",
      "200",
    ],
  });
  const before = herd.workerPids();
  await withPoliteClient(herd, async () => {
    const send = (payload: string) => rawExchange({ port: herd.port, stopAfter: 1 }, payload);
    const longLine = await send(`GET /${"a".repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assertEquals(longLine.status, 414, longLine.text);
    const okLine = await send(`GET /${"a".repeat(50)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assertEquals(okLine.status, 200, okLine.text);
    const fields = Array.from({ length: 12 }, (_, i) => `X-H${i}: v\r\n`).join("");
    const many = await send(`${OK_HEAD}${fields}\r\n`);
    assertEquals(many.status, 431, many.text);
    const big = await send(`${OK_HEAD}X-Big: ${"b".repeat(300)}\r\n\r\n`);
    assertEquals(big.status, 431, big.text);
    const fine = await send(`${OK_HEAD}X-Small: ${"b".repeat(100)}\r\n\r\n`);
    assertEquals(fine.status, 200, fine.text);
  });
  assertEquals(herd.workerPids(), before);
});

Deno.test({
  name: "hostile: a worker out of file descriptors (EMFILE) is replaced, not left deaf",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // Deno's accept loop ends for good on EMFILE: the worker's listener is closed, and stays so
    // once connections are freed. Its limit is lowered from outside, as a flood of connections
    // under a low `ulimit -n` would leave it; its replacement starts with the master's limit.
    const metrics = `127.0.0.1:${freePort()}`;
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "1", "--metrics-bind", metrics],
    });
    const [worker] = herd.workerPids();
    const from = herd.lines.length;
    await limitOpenFiles(worker, 64);
    const conns: Deno.TcpConn[] = [];
    let replacement = 0;
    try {
      for (let i = 0; i < 100; i++) {
        try {
          conns.push(await Deno.connect({ hostname: "127.0.0.1", port: herd.port }));
        } catch {
          break; // The worker's listener is gone, and its replacement not listening yet.
        }
      }
      await herd.waitForLog(
        /The server stopped accepting connections by itself \(.*Too many open files.*\): the worker exits to be replaced/,
        { from },
      );
      const listening = await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from });
      replacement = Number(/pid: (\d+)/.exec(listening)![1]);
    } finally {
      for (const conn of conns) conn.close();
    }
    assert(replacement !== worker, "replaced");
    assertEquals(await (await fetch(herd.url)).text(), `hello from ${replacement}\n`);
    assertEquals((await restartCounts(metrics)).server_stopped, 1);
  },
});
