/**
 * Tests for `src/logging/access_format.ts`: every atom, the default format,
 * escaping, `X-Forwarded-For` trust and JSON lines that cannot be forged.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import {
  type AccessEntry,
  compileAccessFormat,
  escapeLogValue,
} from "../../../src/logging/access_format.ts";
import { COMBINED_FORMAT } from "../../../src/settings/sections/logging.ts";
import { ATOMS_READ } from "../../../scripts/bench/access_fields_app.ts";

const STARTED = Date.UTC(2026, 10, 27, 4, 5, 6, 789);
const TRUST_LOCAL = { forwardedAllowIps: ["127.0.0.1"], pid: 4321 };

function entry(overrides: {
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
  status?: number;
  resHeaders?: Record<string, string>;
  peer?: string;
  durationMs?: number;
  startedAtMs?: number;
} = {}): AccessEntry {
  const method = overrides.method ?? "GET";
  return {
    req: new Request(overrides.url ?? "http://example.com:8080/items/42?color=red&x=1", {
      method,
      headers: overrides.headers ?? {},
      body: method === "POST" ? "payload" : undefined,
    }),
    info: {
      remoteAddr: { transport: "tcp", hostname: overrides.peer ?? "10.1.2.3", port: 51000 },
      completed: Promise.resolve(),
    },
    res: new Response(overrides.body === undefined ? "hello" : overrides.body, {
      status: overrides.status ?? 200,
      headers: overrides.resHeaders ?? { "content-length": "5" },
    }),
    startedAtMs: overrides.startedAtMs ?? STARTED,
    durationMs: overrides.durationMs ?? 1234.5678,
  };
}

function render(format: string, e: AccessEntry = entry()): string {
  return compileAccessFormat(format, TRUST_LOCAL)(e);
}

const FULL_HEADERS = {
  referer: "http://ref.example/page",
  "user-agent": "curl/8.5",
  authorization: "Basic " + btoa("alice:secret"),
  "x-request-id": "req-7",
};

Deno.test("every simple atom renders as Gunicorn does", () => {
  const e = entry({
    headers: FULL_HEADERS,
    resHeaders: { "content-length": "5", "x-served-by": "w1" },
  });
  const expected: Record<string, string> = {
    h: "10.1.2.3",
    l: "-",
    u: "alice",
    r: "GET /items/42?color=red&x=1 HTTP/1.1",
    m: "GET",
    U: "/items/42",
    q: "color=red&x=1",
    H: "HTTP/1.1",
    s: "200",
    b: "5",
    B: "5",
    f: "http://ref.example/page",
    a: "curl/8.5",
    T: "1",
    M: "1234",
    D: "1234567",
    L: "1.234568",
    p: "<4321>",
    "{x-request-id}i": "req-7",
    "{X-Request-Id}i": "req-7",
    "{x-served-by}o": "w1",
    "{x-missing}i": "-",
    "{nope}": "-",
    zz: "-",
  };
  for (const [atom, value] of Object.entries(expected)) {
    assertEquals(render(`%(${atom})s`, e), value, `atom ${atom}`);
  }
});

Deno.test("%(t)s is the CLF timestamp of the request's second", () => {
  const t = render("%(t)s");
  assertMatch(t, /^\[27\/Nov\/2026:\d\d:\d\d:06 [+-]\d{4}\]$/);
  if (new Date(STARTED).getTimezoneOffset() === 0) assertEquals(t, "[27/Nov/2026:04:05:06 +0000]");
  const format = compileAccessFormat("%(t)s", TRUST_LOCAL);
  assertEquals(format(entry({ startedAtMs: STARTED + 200 })), t, "same second, cached text");
  assertMatch(format(entry({ startedAtMs: STARTED + 1000 })), /:07 [+-]\d{4}\]$/);
});

Deno.test("%(x)d spelling, %% and literal text are honoured", () => {
  assertEquals(render("%(s)d %% %(m)s|done"), "200 % GET|done");
  assertEquals(render("no atoms"), "no atoms");
});

Deno.test("{name}e reads the environment once, at compile time", () => {
  const format = compileAccessFormat("%({HERD_REGION}e)s %({UNSET}e)s", {
    ...TRUST_LOCAL,
    env: (name) => (name === "HERD_REGION" ? "eu-1" : undefined),
  });
  assertEquals(format(entry()), "eu-1 -");
});

Deno.test("the default combined format for GET, POST and 404", () => {
  const get = render(COMBINED_FORMAT, entry({ headers: FULL_HEADERS }));
  assertMatch(
    get,
    /^10\.1\.2\.3 - alice \[27\/Nov\/2026:[^\]]+\] "GET \/items\/42\?color=red&x=1 HTTP\/1\.1" 200 5 "http:\/\/ref\.example\/page" "curl\/8\.5"$/,
  );
  const post = render(
    COMBINED_FORMAT,
    entry({
      method: "POST",
      url: "http://h/submit",
      status: 201,
      resHeaders: { "content-length": "12" },
    }),
  );
  assertMatch(post, /^10\.1\.2\.3 - - \[[^\]]+\] "POST \/submit HTTP\/1\.1" 201 12 "-" "-"$/);
  const missing = render(
    COMBINED_FORMAT,
    entry({ url: "http://h/nope", status: 404, body: null, resHeaders: {} }),
  );
  assertMatch(missing, /^10\.1\.2\.3 - - \[[^\]]+\] "GET \/nope HTTP\/1\.1" 404 - "-" "-"$/);
});

Deno.test("a custom format mixes atoms, headers and timings", () => {
  const format = "%(h)s %(m)s %(U)s?%(q)s status=%(s)s rid=%({x-request-id}i)s took=%(M)sms";
  assertEquals(
    render(format, entry({ headers: FULL_HEADERS, durationMs: 3.9 })),
    "10.1.2.3 GET /items/42?color=red&x=1 status=200 rid=req-7 took=3ms",
  );
});

Deno.test("body length: b and B come from Content-Length, else both are -", () => {
  // Without Content-Length the length is unknown: reading the body to learn it would turn
  // a string body into a stream and cost the fast path.
  assertEquals(render("%(b)s %(B)s", entry({ body: null, resHeaders: {} })), "- -");
  assertEquals(render("%(b)s %(B)s", entry({ resHeaders: {} })), "- -");
  assertEquals(render("%(b)s %(B)s", entry({ resHeaders: { "content-length": "0" } })), "- 0");
});

/**
 * A request whose header values skip the Fetch `Headers` validation (which
 * refuses `\r`, `\n` and NUL), to prove the formats do not rely on it.
 */
function rawHeaderEntry(headers: Record<string, string>, peer = "10.1.2.3"): AccessEntry {
  const base = entry({ peer });
  const req = {
    method: "GET",
    url: "http://h/",
    headers: { get: (name: string) => headers[name] ?? null },
  } as unknown as Request;
  return { ...base, req };
}

const FORGED_LINE = 'x" 200 5\n10.0.0.1 - - [x] "GET /admin';

Deno.test("text format escapes quotes, backslashes and control characters", () => {
  assertEquals(escapeLogValue('a"b\\c\nd\x7f\x1b[31m'), 'a\\"b\\\\c\\x0ad\\x7f\\x1b[31m');
  const line = render(COMBINED_FORMAT, rawHeaderEntry({ "user-agent": FORGED_LINE }));
  assert(!line.includes("\n"), "no raw newline");
  assert(line.endsWith('"x\\" 200 5\\x0a10.0.0.1 - - [x] \\"GET /admin"'), line);
  const viaFetch = render("%(a)s", entry({ headers: { "user-agent": 'a"\x1b[2J\tb' } }));
  assertEquals(viaFetch, 'a\\"\\x1b[2J\\x09b');
  const user = render(
    "%(u)s",
    entry({ headers: { authorization: "Basic " + btoa('ev"il\nx:pw') } }),
  );
  assertEquals(user, 'ev\\"il\\x0ax');
});

Deno.test("X-Forwarded-For is used only from a trusted peer, read from the right", () => {
  // A proxy appends what it saw: the client's own claims sit to the left of it.
  const headers = { "x-forwarded-for": " 203.0.113.9 , 10.0.0.1" };
  assertEquals(render("%(h)s", entry({ peer: "127.0.0.1", headers })), "10.0.0.1");
  assertEquals(render("%(h)s", entry({ peer: "198.51.100.7", headers })), "198.51.100.7");
  assertEquals(render("%(h)s", entry({ peer: "127.0.0.1" })), "127.0.0.1");
  // Past the trusted proxies (10.0.0.0/8 here) to the first address none vouches for.
  const trustNetwork = compileAccessFormat("%(h)s", {
    forwardedAllowIps: ["127.0.0.1", "10.0.0.0/8"],
  });
  assertEquals(trustNetwork(entry({ peer: "10.2.3.4", headers })), "203.0.113.9");
  assertEquals(trustNetwork(entry({ peer: "11.2.3.4", headers })), "11.2.3.4");
  const chain = { "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.7" };
  assertEquals(trustNetwork(entry({ peer: "127.0.0.1", headers: chain })), "203.0.113.9");
  // Every hop trusted (`*`): the leftmost.
  const trustAll = compileAccessFormat("%(h)s", { forwardedAllowIps: ["*"] });
  assertEquals(trustAll(entry({ peer: "198.51.100.7", headers })), "203.0.113.9");
  // Anything that is no address makes the header unbelievable: the peer is logged.
  for (
    const forged of [
      '1.2.3.4"\nx',
      "6.6.6.6 - admin [01/Jan/2020:00:00:00 +0000] GET-/admin",
      " , ",
    ]
  ) {
    const e = rawHeaderEntry({ "x-forwarded-for": forged }, "127.0.0.1");
    assertEquals(render("%(h)s", e), "127.0.0.1", forged);
  }
});

Deno.test("a Unix-socket peer (the local proxy) is trusted for X-Forwarded-For", () => {
  const unixEntry = (headers: Record<string, string>): AccessEntry => ({
    ...entry({ headers }),
    info: {
      remoteAddr: { transport: "unix", path: "/run/herd.sock" },
      completed: Promise.resolve(),
    },
  });
  const format = compileAccessFormat("%(h)s", { forwardedAllowIps: ["127.0.0.1"] });
  assertEquals(format(unixEntry({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" })), "203.0.113.9");
  assertEquals(format(unixEntry({})), "-");
  assertEquals(format(unixEntry({ "x-forwarded-for": "not an address" })), "-");
});

Deno.test("credentials never appear in the default or JSON format", () => {
  const headers = {
    ...FULL_HEADERS,
    cookie: "session=TOPSECRET",
    authorization: "Bearer TOPSECRET",
  };
  for (const format of [COMBINED_FORMAT, "json"]) {
    const line = render(format, entry({ headers }));
    assert(!line.includes("TOPSECRET"), `${format}: ${line}`);
  }
  const basic = render(COMBINED_FORMAT, entry({ headers: FULL_HEADERS }));
  assert(!basic.includes("secret") && !basic.includes(btoa("alice:secret")), basic);
});

Deno.test("json lines parse and carry every field", () => {
  const line = render("json", entry({ headers: FULL_HEADERS, durationMs: 12.34567 }));
  const record = JSON.parse(line);
  assertEquals(record, {
    time: "2026-11-27T04:05:06.789Z",
    remote: "10.1.2.3",
    method: "GET",
    path: "/items/42",
    query: "color=red&x=1",
    protocol: "HTTP/1.1",
    status: 200,
    bytes: 5,
    referer: "http://ref.example/page",
    user_agent: "curl/8.5",
    duration_ms: 12.346,
    pid: 4321,
  });
  const bare = JSON.parse(render("json", entry({ url: "http://h/", body: null, resHeaders: {} })));
  assertEquals([bare.query, bare.bytes, bare.referer, bare.user_agent], ["", null, null, null]);
});

Deno.test("a header with a quote and a newline cannot forge a JSON field or line", () => {
  const evil = 'x","status":500,"remote":"6.6.6.6"}\n{"forged":true';
  const line = render("json", rawHeaderEntry({ "user-agent": evil, referer: evil }));
  assert(!line.includes("\n"));
  const record = JSON.parse(line);
  assertEquals(record.status, 200);
  assertEquals(record.remote, "10.1.2.3");
  assertEquals(record.user_agent, evil);
  assertEquals(record.referer, evil);
  assertEquals(Object.keys(record).length, 12);
});

Deno.test("the benchmark's floor app reads the parts of exactly the default format's atoms", () => {
  const atoms = [...COMBINED_FORMAT.matchAll(/%\(([^)]*)\)[sd]/g)].map((m) => m[1]);
  assertEquals([...ATOMS_READ].sort(), atoms.sort());
});

Deno.test("a text format's pieces make the same line as the formatter", () => {
  const e = entry({ headers: { ...FULL_HEADERS, "user-agent": 'a "quoted"\tagent' } });
  for (const format of [COMBINED_FORMAT, "%% %(m)s %({x-request-id}i)s %(D)s 100%%", "no atoms"]) {
    const formatter = compileAccessFormat(format, TRUST_LOCAL);
    let joined = "";
    formatter.pieces!(e, (piece) => joined += piece);
    assertEquals(joined, formatter(e), format);
  }
  assertEquals(compileAccessFormat("json", TRUST_LOCAL).pieces, undefined);
});

Deno.test("header bytes above 0x7f: \\xhh in text lines, UTF-8 text in JSON; URLs stay text", () => {
  // "é" sent as UTF-8 arrives as two byte-characters.
  const utf8 = "caf\u00c3\u00a9";
  const e = rawHeaderEntry({ "user-agent": utf8, referer: "x\u0085y" });
  assertEquals(render('"%(a)s" "%(f)s"', e), '"caf\\xc3\\xa9" "x\\x85y"');
  const record = JSON.parse(render("json", e));
  assertEquals(record.user_agent, "café");
  assertEquals(record.referer, "x\ufffdy");
  // Deno gives the URL as text: é and 日本 are characters, not bytes; C1 controls are escaped.
  // (as Deno.serve's request has it; `new Request()` would percent-encode it)
  const req = {
    method: "GET",
    url: "http://h/p?a=\u00e9&b=\u65e5\u672c&c=\u0085",
    headers: new Headers(),
  } as unknown as Request;
  const url = { ...entry({}), req };
  assertEquals(render("%(r)s", url), "GET /p?a=\u00e9&b=\u65e5\u672c&c=\\x85 HTTP/1.1");
});
