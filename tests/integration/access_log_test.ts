/**
 * The access log end to end, written by real workers to a real file: the
 * default (combined), a custom and the `json` format for GET, POST, 404 and
 * a request answered 503 at `timeout`; no line lost while workers are
 * recycled under load; the production profile's `logs/` files and
 * `reopen-logs` after logrotate-style renames.
 *
 * @module
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { assertNothingLost, fixtureApp, loadLoop, MAIN, runHerd, startHerd } from "./_harness.ts";

function readLines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((line) => line !== "");
  } catch {
    return [];
  }
}

/** Waits until `path` holds `count` lines (workers flush every 100 ms), at most ~5 s. */
async function linesOf(path: string, count: number): Promise<string[]> {
  for (let i = 0; i < 50 && readLines(path).length < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return readLines(path);
}

/** GET, POST, 404 and a request the worker answers 503 at `timeout` (1 s). */
async function sendFour(url: string): Promise<number[]> {
  const requests = [
    fetch(`${url}/`),
    fetch(`${url}/submit`, { method: "POST", body: "hello" }),
    fetch(`${url}/missing`),
    fetch(`${url}/slow?ms=5000`),
  ];
  const statuses: number[] = [];
  for (const request of requests) {
    const response = await request;
    await response.body?.cancel();
    statuses.push(response.status);
  }
  return statuses;
}

/** Serves routes.ts with one worker, `timeout` 1 s, logging in `format`; returns the lines. */
async function logFourRequests(format: string | null): Promise<string[]> {
  const path = `${await Deno.makeTempDir({ prefix: "herd-access-" })}/access.log`;
  const formatArgs = format === null ? [] : ["--access-log-format", format];
  await using herd = await startHerd({
    args: [
      fixtureApp("routes.ts"),
      "-w",
      "1",
      "--timeout",
      "1",
      "--access-log",
      path,
      ...formatArgs,
    ],
  });
  assertEquals(await sendFour(herd.url), [200, 201, 404, 503]);
  return await linesOf(path, 4);
}

Deno.test("access log: GET, POST, 404 and a timed-out 503 in the default format", async () => {
  const lines = await logFourRequests(null);
  assertEquals(lines.length, 4, lines.join("\n"));
  const prefix = String.raw`^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] `;
  // `%(b)s` is "-" when the length is not known before the body streams.
  const suffix = String.raw` (\d+|-) "-" "Deno/[\d.]+"$`;
  const expected = [
    String.raw`"GET / HTTP/1\.1" 200`,
    String.raw`"POST /submit HTTP/1\.1" 201`,
    String.raw`"GET /missing HTTP/1\.1" 404`,
    String.raw`"GET /slow\?ms=5000 HTTP/1\.1" 503`,
  ];
  // Concurrent requests may be logged in any order: match each line to one request.
  for (const request of expected) {
    const re = new RegExp(prefix + request + suffix);
    assertEquals(lines.filter((line) => re.test(line)).length, 1, `${re}\n${lines.join("\n")}`);
  }
});

Deno.test("access log: a custom format and the json format", async () => {
  const custom = await logFourRequests("%(m)s %(U)s %(q)s %(s)s %(p)s %({x-pid}o)s");
  assertEquals(custom.length, 4, custom.join("\n"));
  for (const line of custom) {
    const [, status, pid, header] = /^(?:GET|POST) \/\S* \S* (\d{3}) <(\d+)> (\S+)$/.exec(line) ??
      [];
    assert(status !== undefined, line);
    // The app sets x-pid; the 503 comes from Herd at the timeout, without it.
    assertEquals(header, status === "503" ? "-" : pid, line);
  }
  assertEquals(custom.map((line) => line.split(" ")[3]).sort(), ["200", "201", "404", "503"]);
  const json = (await logFourRequests("json")).map((line) => JSON.parse(line));
  assertEquals(json.length, 4);
  const seen = json.map((e) => `${e.method} ${e.path} ${e.status}`).sort();
  assertEquals(seen, ["GET / 200", "GET /missing 404", "GET /slow 503", "POST /submit 201"]);
  for (const entry of json) {
    assertEquals(entry.remote, "127.0.0.1");
    assert(typeof entry.duration_ms === "number" && Number.isInteger(entry.pid));
    assert(!Number.isNaN(Date.parse(entry.time)), entry.time);
  }
  assert(json.find((e) => e.status === 503).duration_ms >= 1000, "answered at the timeout");
});

Deno.test("access log: a format with a duration times a streamed response to its last byte", async () => {
  const path = `${await Deno.makeTempDir({ prefix: "herd-access-" })}/access.log`;
  await using herd = await startHerd({
    args: [
      fixtureApp("routes.ts"),
      "-w",
      "1",
      "--access-log",
      path,
      "--access-log-format",
      '"%(r)s" %(s)s %(D)s',
      "--limit-request-field-size",
      "100",
    ],
  });
  const response = await fetch(`${herd.url}/stream?ms=600`);
  assertEquals(await response.text(), "first half\nsecond half\n");
  const [line] = await linesOf(path, 1);
  const micros = Number(/ (\d+)$/.exec(line)?.[1]);
  // Gunicorn's atoms count the whole body: the handler answered at once, the body took 600 ms.
  assert(micros >= 550_000, line);
  // A request Herd answers itself is logged too (its method, once sent, Deno no longer gives).
  const refused = await fetch(`${herd.url}/big`, { headers: { "x-big": "b".repeat(200) } });
  await refused.body?.cancel();
  assertEquals(refused.status, 431);
  assertMatch((await linesOf(path, 2))[1], /^"GET \/big HTTP\/1\.1" 431 \d+$/);
});

Deno.test("access log: a streamed response cut by the end of graceful_timeout still gets its line", async () => {
  const path = `${await Deno.makeTempDir({ prefix: "herd-access-" })}/access.log`;
  await using herd = await startHerd({
    args: [
      fixtureApp("routes.ts"),
      ...["-w", "1", "--graceful-timeout", "1", "--access-log", path],
      ...["--access-log-format", '"%(r)s" %(s)s %(D)s'],
    ],
  });
  const response = await fetch(`${herd.url}/stream?ms=10000`);
  const reader = response.body!.getReader();
  assertEquals(new TextDecoder().decode((await reader.read()).value), "first half\n");
  herd.kill("SIGTERM");
  await herd.waitForExit(10_000);
  await reader.cancel().catch(() => {});
  const lines = readLines(path);
  assertEquals(lines.length, 1, herd.lines.join("\n"));
  assertMatch(lines[0], /^"GET \/stream\?ms=10000 HTTP\/1\.1" 200 \d+$/);
});

Deno.test("access log: no line is lost while workers are recycled under load", async () => {
  const path = `${await Deno.makeTempDir({ prefix: "herd-access-" })}/access.log`;
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--max-requests", "50", "--access-log", path],
  });
  const stop = new AbortController();
  const load = loadLoop(herd.url, {
    concurrency: 4,
    signal: stop.signal,
    maxRequests: 50_000,
    keepAlive: true,
  });
  const exited = /exited with code 0 \(reason: max_requests\)/;
  try {
    // Limits are checked on heartbeats (1 s): three recycled workers take a few seconds.
    for (let from = 0, i = 0; i < 3; i++) {
      await herd.waitForLog(exited, { from });
      from = herd.lines.findIndex((l, n) => n >= from && exited.test(l)) + 1;
    }
  } finally {
    stop.abort();
  }
  const result = await load;
  assertNothingLost(result);
  // Every answered request has its line. A request the kernel reset (see assertNothingLost) never
  // reached a worker, so it has none.
  const lines = (await linesOf(path, result.ok)).length;
  assert(
    lines >= result.ok && lines <= result.ok + result.failed,
    `${lines} lines, ${result.ok} ok`,
  );
});

async function herdCommand(args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  return text;
}

Deno.test("access log: production writes logs/ in the working directory; reopen-logs follows a rename", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "herd-prod-" });
  // Loopback host given explicitly (production's default is 0.0.0.0); root is fine in a test box.
  const profile = ["--env", "production", "--allow-root"];
  await using herd = await startHerd({
    args: [fixtureApp("routes.ts"), "-w", "1", ...profile],
    cwd,
    waitReady: false,
  });
  const [access, error] = [`${cwd}/logs/access.log`, `${cwd}/logs/error.log`];
  for (
    let i = 0;
    i < 100 && !readLines(error).some((l) => /Ready: 1 worker listening/.test(l));
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert(readLines(error).some((l) => /Ready: 1 worker listening/.test(l)), herd.lines.join("\n"));
  await fetch(`${herd.url}/before`).then((r) => r.body?.cancel());
  assertMatch((await linesOf(access, 1))[0], /"GET \/before HTTP\/1\.1" 200/);

  await Deno.rename(access, `${access}.1`);
  await Deno.rename(error, `${error}.1`);
  const where = ["--host", "127.0.0.1", "--port", String(herd.port), ...profile];
  assertEquals((await herdCommand(["reopen-logs", ...where], cwd)).trim(), "Logs reopened");
  await fetch(`${herd.url}/after`).then((r) => r.body?.cancel());
  herd.kill("SIGTTIN");

  const fresh = await linesOf(access, 1);
  assertEquals(fresh.length, 1);
  assertMatch(fresh[0], /"GET \/after HTTP\/1\.1" 200/);
  const rotated = readLines(`${access}.1`);
  assertEquals(rotated.length, 1);
  assertMatch(rotated[0], /"GET \/before HTTP\/1\.1" 200/);
  const newErrors = await linesOf(error, 2);
  assertMatch(newErrors[0], /\[INFO\] Log files reopened \(reopen-logs\)$/);
  assert(newErrors.some((l) => /Number of workers: 2 \(was 1\)/.test(l)), newErrors.join("\n"));
  const oldErrors = readLines(`${error}.1`);
  assert(oldErrors.some((l) => /Ready: 1 worker listening/.test(l)));
  assert(!oldErrors.some((l) => /Number of workers/.test(l)), "the rotated file got no new line");
});

Deno.test("access log: /dev/stdout and /dev/stderr are the streams, for workers with scoped permissions", async () => {
  // Deno lets a scoped process open nothing under /dev: Herd must write to the inherited stream.
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--access-log", "/dev/stdout"],
    env: { HERD_ERROR_LOG: "/dev/stderr" },
  });
  await fetch(`${herd.url}/streams`).then((r) => r.body?.cancel());
  await herd.waitForLog(/"GET \/streams HTTP\/1\.1" 200/);
  assert(
    !herd.lines.some((l) => /failed to boot|Requires all access/.test(l)),
    herd.lines.join("\n"),
  );
});

Deno.test("access log: a file under /dev is refused at startup with one line naming the setting", async () => {
  const { code, stderr } = await runHerd(
    ["serve", fixtureApp("hello.ts"), "--access-log", "/dev/shm/herd.log"],
  );
  assertEquals(code, 2, stderr);
  assertEquals(
    stderr,
    'error: "access_log" is "/dev/shm/herd.log" from --access-log (command line): Deno lets a worker open files under /dev, /proc and /sys only with every permission; log to a regular file or "-", or add "all" to "worker_permissions"',
  );
});

Deno.test("error log: a response body that fails after its status was sent is one error-log record", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("routes.ts"), "-w", "1", "--log-format", "json", "--access-log="],
  });
  const from = herd.lines.length;
  const res = await fetch(`${herd.url}/stream-error`);
  assertEquals(res.status, 200);
  await assertRejects(() => res.text());
  const line = await herd.waitForLog(/response body, after its status was sent/, { from });
  const record = JSON.parse(line);
  assertEquals([record.level, record.role], ["error", "worker"]);
  assertMatch(record.message, /Error: the body's source failed\n {4}at /);
  // Nothing of it printed raw by Deno: every line is a record.
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const l of herd.lines.slice(from)) JSON.parse(l);
  // And the worker serves on.
  assertEquals((await fetch(herd.url)).status, 200);
});
