/**
 * Several binds: two TCP addresses (IPv4 and IPv6 loopback) served by every
 * worker, the port-in-use check on each of them, and Unix sockets (mode,
 * removal on a clean stop, a stale socket replaced, a live one refused,
 * and the hand-over to a replacement worker 1 on HUP).
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";
import { fixtureApp, freePort, MAIN, startHerd } from "./_harness.ts";
import { pathExists } from "../../src/platform/path_exists.ts";

const IPV6_LOOPBACK = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

async function socketDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "herd-unix-" });
}

/** GET / over the Unix socket at `path` with curl; the body, or throws. */
async function curlUnix(path: string): Promise<string> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "--max-time", "5", "--unix-socket", path, "http://localhost/"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "binds: every worker serves both 127.0.0.1 and [::1]",
  ignore: !IPV6_LOOPBACK, // no IPv6 loopback on this machine: nothing to test
  fn: async () => {
    const v4 = freePort();
    const v6 = freePort();
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-w", "2", "-b", `127.0.0.1:${v4}`, "-b", `[::1]:${v6}`],
    });
    await herd.waitForLog(
      new RegExp(`Listening at: http://127\\.0\\.0\\.1:${v4}, http://\\[::1\\]:${v6}$`),
    );
    const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    const pids = new Set<string>();
    for (const url of [`http://127.0.0.1:${v4}/`, `http://[::1]:${v6}/`]) {
      for (let i = 0; i < 20; i++) {
        const response = await fetch(url, { client });
        await response.body?.cancel();
        assertEquals(response.status, 200);
        pids.add(`${new URL(url).hostname} ${response.headers.get("x-pid")}`);
      }
    }
    client.close();
    const workers = herd.workerPids();
    for (const host of ["127.0.0.1", "[::1]"]) {
      const seen = [...pids].filter((p) => p.startsWith(host)).map((p) => Number(p.split(" ")[1]));
      assert(seen.every((pid) => workers.includes(pid)), `${host} served by the workers`);
    }
  },
});

Deno.test("binds: the second TCP address in use refuses the start with exit 5", async () => {
  const free = freePort();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-b", `127.0.0.1:${free}`, "-b", `127.0.0.1:${port}`],
      waitReady: false,
    });
    assertEquals((await herd.waitForExit()).code, 5);
    await herd.waitForLog(
      new RegExp(
        `^error: Address 127\\.0\\.0\\.1:${port} is already in use \\("bind" from -b \\(command line\\)\\)$`,
      ),
    );
  } finally {
    taken.close();
  }
});

Deno.test("binds: a Unix socket is served with mode 0660 and removed on a clean stop", async () => {
  const path = `${await socketDir()}/herd.sock`;
  const herd = await startHerd({ args: [fixtureApp("hello.ts"), "-w", "2", "-b", `unix:${path}`] });
  try {
    assert((await curlUnix(path)).startsWith("hello from"));
    const info = Deno.lstatSync(path);
    assert(info.isSocket, "a socket");
    assertEquals((info.mode! & 0o777).toString(8), "660");
  } finally {
    await herd.stop();
  }
  assertEquals((await herd.waitForExit()).code, 0);
  assertEquals(pathExists(path), false, "socket removed on a clean stop");
});

Deno.test("binds: unix_socket_mode sets the socket's mode", async () => {
  const path = `${await socketDir()}/herd.sock`;
  await using _herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "-b", `unix:${path}`, "--unix-socket-mode", "0600"],
  });
  assertEquals((Deno.lstatSync(path).mode! & 0o777).toString(8), "600");
});

Deno.test("binds: a stale Unix socket left by a crashed run is replaced", async () => {
  const path = `${await socketDir()}/herd.sock`;
  // A socket file nothing listens on any more, as SIGKILL leaves it.
  const crashed = Deno.listen({ transport: "unix", path });
  Deno.renameSync(path, `${path}.keep`);
  crashed.close();
  Deno.renameSync(`${path}.keep`, path);
  assert(Deno.lstatSync(path).isSocket, "stale socket in place");
  await using herd = await startHerd({ args: [fixtureApp("hello.ts"), "-b", `unix:${path}`] });
  await herd.waitForLog(/Removed a stale socket ".*herd\.sock" \(nothing answered on it\)/);
  assert((await curlUnix(path)).startsWith("hello from"));
});

Deno.test("binds: a Unix socket something answers on refuses the start with exit 5", async () => {
  const path = `${await socketDir()}/herd.sock`;
  const live = Deno.listen({ transport: "unix", path });
  try {
    await using herd = await startHerd({
      args: [fixtureApp("hello.ts"), "-b", `unix:${path}`],
      waitReady: false,
    });
    assertEquals((await herd.waitForExit()).code, 5);
    await herd.waitForLog(
      new RegExp(
        `^error: Address unix:${path} is already in use \\("bind" from -b \\(command line\\)\\)$`,
      ),
    );
    assert(Deno.lstatSync(path).isSocket, "the live socket is left alone");
  } finally {
    live.close();
  }
});

Deno.test("binds: HUP hands the Unix socket to the new worker 1 with no failed request", async () => {
  const path = `${await socketDir()}/herd.sock`;
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "-b", `unix:${path}`],
  });
  const first = await curlUnix(path);
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path },
    poolMaxIdlePerHost: 0,
  });
  const stop = new AbortController();
  const failures: string[] = [];
  const pids = new Set<string>();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetch("http://localhost/", { client });
        pids.add(response.headers.get("x-pid") ?? "?");
        await response.body?.cancel();
        if (!response.ok) failures.push(`status ${response.status}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  })();
  try {
    const from = herd.lines.length;
    herd.kill("SIGHUP");
    await herd.waitForLog(/Reload complete/, { from, timeoutMs: 20_000 });
  } finally {
    stop.abort();
    await loop;
    client.close();
  }
  assertEquals(failures, []);
  const after = await curlUnix(path);
  assert(after !== first, `a new worker serves the socket (${first.trim()} → ${after.trim()})`);
  assert(pids.size >= 2, "both the old and the new worker 1 answered during the reload");
});

Deno.test("serve: a second master that took the port during this one's preload is found before any worker starts", async () => {
  const port = freePort();
  const run = (app: string, bind: string, env: Record<string, string> = {}) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve", app, "-b", `${bind}:${port}`, "-w", "1"],
      env: { NO_COLOR: "1", ...env },
      stdout: "null",
      stderr: "piped",
    }).spawn();
  // The first preloads for 2 s (its app's import is slow); the second starts meanwhile, with
  // another bind (so another control socket) on the same port, and serves.
  const slow = run(fixtureApp("slow_import.ts"), "0.0.0.0", { HERD_TEST_IMPORT_MS: "2000" });
  await new Promise((r) => setTimeout(r, 300));
  const fast = run(fixtureApp("hello.ts"), "127.0.0.1");
  // Not refused, it would serve on: stopped after 10 s, so the test fails instead of hanging.
  const limit = setTimeout(() => slow.kill("SIGKILL"), 10_000);
  try {
    const first = await slow.output();
    const stderr = new TextDecoder().decode(first.stderr);
    assertEquals(first.code, 5, stderr);
    assert(stderr.includes(`Address 0.0.0.0:${port} is already in use`), stderr);
    assert(!stderr.includes("Booting worker"), stderr);
  } finally {
    clearTimeout(limit);
    fast.kill("SIGTERM");
    await fast.output();
  }
});
