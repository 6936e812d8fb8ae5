/**
 * Tests for `src/logging/access_log.ts`: the logger behind a real
 * `Deno.serve` on 127.0.0.1, writing to a real file.
 *
 * @module
 */
import { assertEquals, assertMatch } from "../../assert.ts";
import { type AccessLogger, openAccessLog } from "../../../src/logging/access_log.ts";
import { COMBINED_FORMAT } from "../../../src/settings/sections/logging.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herd_access_log_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Serves a tiny app that logs each request through `access`, runs `fn`, then stops. */
async function withServer(access: AccessLogger, fn: (base: string) => Promise<void>) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req, info) => {
      const started = Date.now();
      const path = new URL(req.url).pathname;
      const res = path === "/missing"
        ? new Response("not found", { status: 404, headers: { "content-length": "9" } })
        : new Response(req.method === "POST" ? await req.text() : "hello", {
          headers: { "content-length": req.method === "POST" ? "7" : "5" },
        });
      access.write(req, info, res, started, Date.now() - started);
      return res;
    },
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

/** An access log to `access.log` in `dir`. */
function fileLog(dir: string, format: string, trusted: string[]) {
  const path = `${dir}/access.log`;
  const access = openAccessLog({
    access_log: path,
    access_log_format: format,
    forwarded_allow_ips: trusted,
  })!;
  return { path, access };
}

Deno.test("openAccessLog returns null when the access log is off", () => {
  assertEquals(
    openAccessLog({
      access_log: null,
      access_log_format: COMBINED_FORMAT,
      forwarded_allow_ips: [],
    }),
    null,
  );
});

Deno.test("combined format for GET, POST and 404 through a real server", async () => {
  await withTempDir(async (dir) => {
    const { path, access } = fileLog(dir, COMBINED_FORMAT, ["127.0.0.1"]);
    await withServer(access, async (base) => {
      await (await fetch(`${base}/hello?x=1`, { headers: { "user-agent": "herd-test" } })).text();
      await (await fetch(`${base}/submit`, { method: "POST", body: "payload" })).text();
      await (await fetch(`${base}/missing`, {
        headers: { "x-forwarded-for": "203.0.113.5", referer: "http://r/" },
      })).text();
    });
    access.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assertEquals(lines.length, 3);
    const t = String.raw`\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`;
    assertMatch(
      lines[0],
      new RegExp(`^127\\.0\\.0\\.1 - - ${t} "GET /hello\\?x=1 HTTP/1\\.1" 200 5 "-" "herd-test"$`),
    );
    assertMatch(
      lines[1],
      new RegExp(`^127\\.0\\.0\\.1 - - ${t} "POST /submit HTTP/1\\.1" 200 7 "-" "Deno/`),
    );
    assertMatch(
      lines[2],
      new RegExp(`^203\\.0\\.113\\.5 - - ${t} "GET /missing HTTP/1\\.1" 404 9 "http://r/" "Deno/`),
    );
  });
});

Deno.test("lines that are not ASCII or longer than the buffer's room are logged whole", async () => {
  await withTempDir(async (dir) => {
    // A non-ASCII literal in the format: header bytes above 0x7f are escaped, so only the
    // format (or an environment value) brings other characters.
    const { path, access } = fileLog(dir, '"%(r)s" %(s)s → "%(a)s"', []);
    const long = "x".repeat(60_000);
    await withServer(access, async (base) => {
      await (await fetch(`${base}/a`, { headers: { "user-agent": "caf\u00e9" } })).text();
      await (await fetch(`${base}/b`, { headers: { "user-agent": long } })).text();
      await (await fetch(`${base}/c`, { headers: { "user-agent": 'say "hi"' } })).text();
    });
    access.close();
    assertEquals((await Deno.readTextFile(path)).split("\n"), [
      '"GET /a HTTP/1.1" 200 → "caf\\xe9"',
      `"GET /b HTTP/1.1" 200 → "${long}"`,
      '"GET /c HTTP/1.1" 200 → "say \\"hi\\""',
      "",
    ]);
  });
});

Deno.test("a frozen Response is logged with its status (its headers cannot be read)", async () => {
  await withTempDir(async (dir) => {
    const { path, access } = fileLog(dir, '"%(r)s" %(s)s %(b)s', []);
    // An app may freeze a Response it keeps: Deno's `headers` getter then throws.
    const kept = Object.freeze(new Response(null, { status: 204 }));
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req, info) => {
        access.write(req, info, kept, Date.now(), 0);
        return kept;
      },
    );
    try {
      const res = await fetch(`http://127.0.0.1:${server.addr.port}/frozen`);
      await res.body?.cancel();
      assertEquals(res.status, 204);
    } finally {
      await server.shutdown();
    }
    access.close();
    assertEquals(await Deno.readTextFile(path), '"GET /frozen HTTP/1.1" 204 -\n');
  });
});

Deno.test("json access log through a real server, reopened after a move", async () => {
  await withTempDir(async (dir) => {
    const { path, access } = fileLog(dir, "json", []);
    await withServer(access, async (base) => {
      await (await fetch(`${base}/one`)).text();
      access.flush();
      await Deno.rename(path, `${path}.1`);
      access.reopen();
      await (await fetch(`${base}/two?q=2`, { headers: { cookie: "sid=SECRET" } })).text();
    });
    access.close();
    const old = JSON.parse(await Deno.readTextFile(`${path}.1`));
    const current = JSON.parse(await Deno.readTextFile(path));
    assertEquals([old.path, old.status, old.remote, old.pid], ["/one", 200, "127.0.0.1", Deno.pid]);
    assertEquals([current.path, current.query, current.bytes], ["/two", "q=2", 5]);
    assertEquals(JSON.stringify(current).includes("SECRET"), false);
  });
});
