import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, startHerd } from "./_harness.ts";

/** Opens `url`, sends `text`, and resolves with the first message back. */
function echo(url: string, text: string): Promise<string> {
  const socket = new WebSocket(url);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from ${url} within 5 s`)), 5000);
    socket.onopen = () => socket.send(text);
    socket.onmessage = (event) => {
      clearTimeout(timer);
      resolve(String(event.data));
      socket.close();
    };
    socket.onerror = (event) => {
      clearTimeout(timer);
      reject(new Error(`WebSocket error: ${(event as ErrorEvent).message}`));
    };
  });
}

for (const app of ["websocket.ts", "websocket_async.ts"]) {
  Deno.test(`websocket: an upgrade reaches the app and is logged (${app})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "herd_ws_" });
    const accessLog = `${dir}/access.log`;
    await using herd = await startHerd({
      args: [fixtureApp(app), "-w", "1", "--access-log", accessLog, "--keepalive", "5"],
    });
    const [worker] = herd.workerPids();
    const ws = herd.url.replace("http://", "ws://") + "/ws";
    assertEquals(await echo(ws, "hello"), "echo:hello");
    assertEquals(await echo(ws, "again"), "echo:again");
    // Plain requests still answered, by the same worker: nothing crashed.
    assertEquals(await (await fetch(herd.url)).text(), `ok from ${worker}\n`);
    assertEquals(herd.workerPids(), [worker]);
    await herd.stop();
    const lines = (await Deno.readTextFile(accessLog)).trimEnd().split("\n");
    assertEquals(
      lines.filter((l) => l.includes('"GET /ws HTTP/1.1" 101')).length,
      2,
      lines.join("\n"),
    );
    assertMatch(lines[0], /^127\.0\.0\.1 /);
    assert(
      !herd.lines.some((l) => /Request closed|Upgrade response/.test(l)),
      herd.lines.join("\n"),
    );
    await Deno.remove(dir, { recursive: true });
  });

  Deno.test(`websocket: an answer that is not a Response is a 500, the worker lives (${app})`, async () => {
    await using herd = await startHerd({ args: [fixtureApp(app), "-w", "1"] });
    const [worker] = herd.workerPids();
    const statuses = [];
    for (const path of ["undefined", "string", "error", "fake", "reused", "reused"]) {
      const res = await fetch(`${herd.url}/${path}`);
      await res.body?.cancel();
      statuses.push(res.status);
    }
    // A kept Response serves its first request only.
    assertEquals(statuses, [500, 500, 500, 500, 200, 500]);
    assertEquals(await (await fetch(herd.url)).text(), `ok from ${worker}\n`);
    assertEquals(herd.workerPids(), [worker]);
    await herd.waitForLog(
      /Error in the app for GET http:\/\/127\.0\.0\.1:\d+\/undefined: The app answered undefined, not a Response/,
    );
    await herd.waitForLog(/\/string: The app answered a string, not a Response/);
    await herd.waitForLog(/\/error: The app answered Response\.error\(\), a network error/);
    await herd.waitForLog(/\/fake: The app answered an object that is no real Response/);
    await herd.waitForLog(/\/reused: The app answered a Response whose body was already read/);
  });
}

Deno.test("websocket: an upgrade answered otherwise stops Deno's server: the worker is replaced", async () => {
  await using herd = await startHerd({ args: [fixtureApp("websocket_async.ts"), "-w", "1"] });
  const [worker] = herd.workerPids();
  const from = herd.lines.length;
  // In flight on that worker: Deno cuts its client off, but its handler runs to its end.
  const slow = fetch(`${herd.url}/slow`).then((r) => r.text(), () => "cut off");
  await new Promise((resolve) => setTimeout(resolve, 200));
  const refused = await fetch(`${herd.url}/refuse`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    },
  }).then((r) => r.body?.cancel(), () => "no answer");
  assert(refused === undefined || refused === "no answer");
  await herd.waitForLog(/The server stopped accepting connections by itself/, { from });
  await herd.waitForLog(/^slow handler done$/, { from });
  assert(["slow\n", "cut off"].includes(await slow));
  // Not a crash: no backoff for a worker that booted and served; replaced while it drains.
  await herd.waitForLog(
    /Worker 1 \(pid: \d+\) is draining on its own \(its server stopped accepting connections\): replacing it now/,
    { from },
  );
  await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from });
  const [replacement] = herd.workerPids();
  assert(replacement !== worker);
  assertEquals(await (await fetch(herd.url)).text(), `ok from ${replacement}\n`);
  // Keep-alive read the peer after the upgrade, which Deno refuses: a raw stack on stderr.
  assert(!herd.lines.some((l) => /Request closed/.test(l)), herd.lines.join("\n"));
});
