/**
 * Tests of the request guard: timeout, sync and async concurrency, errors, stats, hooks.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { serveGuarded } from "./_http.ts";
import { captureLogs } from "../../log_records.ts";

Deno.test("a request past timeout gets 503 while a parallel one succeeds, and its signal aborts", async () => {
  const aborted = Promise.withResolvers<unknown>();
  const app = (req: Request) => {
    if (new URL(req.url).pathname === "/fast") return new Response("fast");
    req.signal.addEventListener("abort", () => aborted.resolve(req.signal.reason));
    // Hangs until aborted, like an app waiting on a stuck upstream.
    return new Promise<Response>((resolve) => {
      req.signal.addEventListener("abort", () => resolve(new Response("too late")));
    });
  };
  await using s = serveGuarded(app, { timeoutS: 0.5 });
  const started = performance.now();
  const slow = fetch(`${s.url}/slow`);
  const fast = await fetch(`${s.url}/fast`);
  assertEquals(await fast.text(), "fast");
  const res = await slow;
  assertEquals(res.status, 503);
  await res.body?.cancel();
  assert(performance.now() - started < 1500, "503 should come within timeout + 1 s");
  assertEquals((await aborted.promise as DOMException).name, "TimeoutError");
  const stats = s.guard.stats(0);
  assertEquals(stats.timedOut, 1);
  assertEquals(stats.inFlight, 0);
  assertEquals(stats.byClass[4], 1);
});

Deno.test("sync runs one request at a time, in arrival order", async () => {
  const events: string[] = [];
  const app = async (req: Request) => {
    const name = new URL(req.url).pathname.slice(1);
    events.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, 100));
    events.push(`end ${name}`);
    return new Response(name);
  };
  await using s = serveGuarded(app, { workerClass: "sync" });
  const a = fetch(`${s.url}/a`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 20));
  const b = fetch(`${s.url}/b`).then((r) => r.text());
  assertEquals(await Promise.all([a, b]), ["a", "b"]);
  assertEquals(events, ["start a", "end a", "start b", "end b"]);
});

Deno.test("sync waiting time counts toward timeout", async () => {
  const release = Promise.withResolvers<void>();
  const app = async () => {
    await release.promise;
    return new Response("done");
  };
  await using s = serveGuarded(app, { workerClass: "sync", timeoutS: 0.3 });
  const first = fetch(`${s.url}/`);
  const second = fetch(`${s.url}/`);
  const statuses = await Promise.all([first, second].map(async (p) => {
    const r = await p;
    await r.body?.cancel();
    return r.status;
  }));
  assertEquals(statuses, [503, 503]);
  release.resolve();
});

Deno.test("sync past timeout: 503, but the next request waits for the handler; the worker asks to be replaced", async () => {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const app = async (req: Request) => {
    const name = new URL(req.url).pathname.slice(1);
    most = Math.max(most, ++running);
    events.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, name === "slow" ? 800 : 10));
    events.push(`end ${name}`);
    running--;
    return new Response(name);
  };
  let stuck = 0;
  await using s = serveGuarded(app, {
    workerClass: "sync",
    timeoutS: 0.3,
    syncStuck: () => stuck++,
  });
  const status = async (path: string) => {
    const res = await fetch(`${s.url}${path}`);
    await res.body?.cancel();
    return res.status;
  };
  const slow = status("/slow");
  await new Promise((r) => setTimeout(r, 50));
  // Queued behind the slow one, it times out in the queue: never run beside it.
  assertEquals(await Promise.all([slow, status("/queued")]), [503, 503]);
  assertEquals(stuck, 1);
  // Once the slow handler has returned, the slot is free again.
  while (!events.includes("end slow")) await new Promise((r) => setTimeout(r, 20));
  assertEquals(await status("/after"), 200);
  assertEquals(events, ["start slow", "end slow", "start after", "end after"]);
  assertEquals(most, 1);
  assertEquals(stuck, 1, "asked once");
});

Deno.test("async answers 503 with Retry-After past worker_connections", async () => {
  const release = Promise.withResolvers<void>();
  const app = async () => {
    await release.promise;
    return new Response("ok");
  };
  await using s = serveGuarded(app, { maxInFlight: 2 });
  const held = [fetch(`${s.url}/`), fetch(`${s.url}/`)];
  while (s.guard.stats(0).inFlight < 2) await new Promise((r) => setTimeout(r, 5));
  const refused = await fetch(`${s.url}/`);
  assertEquals(refused.status, 503);
  assertEquals(refused.headers.get("retry-after"), "1");
  await refused.body?.cancel();
  release.resolve();
  for (const r of await Promise.all(held)) assertEquals(await r.text(), "ok");
  assertEquals(s.guard.stats(0).rejected, 1);
});

Deno.test("a throwing handler gives 500 and the next request is served", async () => {
  let calls = 0;
  const app = (req: Request) => {
    calls++;
    if (new URL(req.url).pathname === "/boom") throw new Error("boom");
    if (new URL(req.url).pathname === "/reject") return Promise.reject(new Error("async boom"));
    return new Response("fine");
  };
  await using s = serveGuarded(app);
  for (const path of ["/boom", "/reject"]) {
    const res = await fetch(`${s.url}${path}`);
    assertEquals(res.status, 500);
    await res.body?.cancel();
  }
  assertEquals(await (await fetch(`${s.url}/ok`)).text(), "fine");
  assertEquals(calls, 3);
});

Deno.test("whatever the app throws or answers, it is a 500 and a sync worker serves on", async () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const numberStack = () => Object.assign(new Error("odd"), { stack: 123 });
  const app = (req: Request): Response | Promise<Response> => {
    switch (new URL(req.url).pathname) {
      case "/throw-revoked":
        throw revoked();
      case "/reject-revoked":
        return Promise.reject(revoked());
      case "/throw-number-stack":
        throw numberStack();
      case "/reject-number-stack":
        return Promise.reject(numberStack());
      case "/answer-revoked":
        return revoked() as Response;
      case "/resolve-revoked":
        return Promise.resolve(revoked() as Response);
      default:
        return new Response("fine");
    }
  };
  using logs = captureLogs();
  // sync with no timeout: a request left unanswered would hold the worker's one slot forever.
  await using s = serveGuarded(app, { workerClass: "sync" });
  const paths = [
    "/throw-revoked",
    "/reject-revoked",
    "/throw-number-stack",
    "/reject-number-stack",
    "/answer-revoked",
    "/resolve-revoked",
  ];
  for (const path of paths) {
    const res = await fetch(`${s.url}${path}`, { signal: AbortSignal.timeout(5000) });
    assertEquals(res.status, 500, path);
    await res.body?.cancel();
  }
  assertEquals(await (await fetch(`${s.url}/ok`)).text(), "fine");
  assertEquals(s.guard.inFlight, 0);
  const errors = logs.records.filter((r) => r.level === "error").map((r) => r.message);
  assertEquals(errors.length, paths.length, errors.join("\n"));
  assert(errors.every((e) => e.startsWith("Error in the app for GET ")), errors.join("\n"));
});

Deno.test("stats count served requests by class and duration", async () => {
  const app = (req: Request) =>
    new Response(null, { status: new URL(req.url).pathname === "/missing" ? 404 : 204 });
  await using s = serveGuarded(app);
  for (const path of ["/", "/", "/missing"]) await (await fetch(`${s.url}${path}`)).body?.cancel();
  const stats = s.guard.stats(123);
  assertEquals(stats.served, 3);
  assertEquals(stats.byClass, [0, 2, 0, 1, 0]);
  assertEquals(stats.rss, 123);
  assertEquals(stats.durationBuckets.at(-1), 3);
  assert(stats.durationSum > 0);
});

Deno.test("pre_request and post_request run around the app when set", async () => {
  const seen: string[] = [];
  const context = { id: 1, pid: Deno.pid, generation: 0, log: null as never };
  await using s = serveGuarded(() => {
    seen.push("app");
    return new Response("x");
  }, {
    hooks: {
      context,
      preRequest: (_w, req) => void seen.push(`pre ${new URL(req.url).pathname}`),
      postRequest: (_w, _req, res) => void seen.push(`post ${res.status}`),
    },
  });
  await (await fetch(`${s.url}/h`)).text();
  assertEquals(seen, ["pre /h", "app", "post 200"]);
});

Deno.test("a pre_request or post_request hook that throws anything is one error line; the request is served", async () => {
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const odd = [
    revoked,
    () => Object.assign(new Error("odd"), { stack: 123 }),
    () =>
      Object.defineProperty(new Error("odd"), "stack", {
        get: () => {
          throw new Error("no");
        },
      }),
    () =>
      Object.defineProperty(new Error("odd"), "message", {
        get: () => {
          throw new Error("no");
        },
      }),
  ];
  const context = { id: 1, pid: Deno.pid, generation: 0, log: null as never };
  using logs = captureLogs("error");
  let i = 0;
  // sync with no timeout: a request left unanswered would hold the worker's one slot forever.
  await using s = serveGuarded(() => new Response("served"), {
    workerClass: "sync",
    hooks: {
      context,
      preRequest: () => Promise.reject(odd[i % odd.length]()),
      postRequest: () => {
        throw odd[i++ % odd.length]();
      },
    },
  });
  for (let n = 0; n < odd.length; n++) {
    const res = await fetch(s.url, { signal: AbortSignal.timeout(5000) });
    assertEquals(await res.text(), "served");
  }
  const lines = logs.records.map((r) => r.message);
  assertEquals(lines.length, 2 * odd.length, lines.join("\n"));
  assert(lines.every((l) => /^Hook "(pre|post)_request" failed: /.test(l)), lines.join("\n"));
});

Deno.test("the worker is told once, at its max_requests, so the master can recycle at once", async () => {
  const notified: number[] = [];
  let served = 0;
  await using s = serveGuarded(() => new Response(String(++served)), {
    recycleAt: { served: 3, notify: () => notified.push(served) },
  });
  for (let i = 0; i < 5; i++) await (await fetch(s.url)).text();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(notified, [3]); // once, right after the 3rd answer, never again
  assertEquals(s.guard.stats(0).served, 5);
});

// Herd's defaults: no limits, no hooks, no access log. Only the app decides whether requests are built.
const NO_LIMITS = { line: 0, fields: 0, fieldSize: 0, body: 0 };

Deno.test("an app that declares no parameters is called with none", async () => {
  // `arguments` tells what the guard passed; `function` (not an arrow) to have it.
  const app = function (): Response {
    return new Response(String(arguments.length));
  };
  await using s = serveGuarded(app, { limits: NO_LIMITS });
  assertEquals(await (await fetch(s.url)).text(), "0");
  assertEquals(s.guard.stats(0).served, 1);
});

Deno.test("an app without parameters still gets the request when a feature reads it", async () => {
  const app = function (): Response {
    return new Response(String(arguments.length));
  };
  const cases = [
    { limits: { ...NO_LIMITS, line: 4094 } },
    { limits: { ...NO_LIMITS, body: 1024 } },
    { limits: NO_LIMITS, accessLog: { timesBody: false, write() {} } },
  ];
  for (const overrides of cases) {
    await using s = serveGuarded(app, overrides);
    assertEquals(await (await fetch(s.url)).text(), "2", JSON.stringify(overrides));
  }
});

Deno.test("without the request, timeout, the async cap and errors still apply", async () => {
  let calls = 0;
  const hang = Promise.withResolvers<Response>();
  const app = (): Response | Promise<Response> => {
    calls++;
    if (calls === 1) return hang.promise;
    if (calls === 2) throw new Error("boom"); // the refused request never reached the app
    return new Response("ok");
  };
  await using s = serveGuarded(app, { limits: NO_LIMITS, timeoutS: 0.3, maxInFlight: 1 });
  const hung = fetch(s.url);
  await new Promise((r) => setTimeout(r, 50));
  const refused = await fetch(s.url); // the hung request holds the only slot
  assertEquals(refused.status, 503);
  assertEquals(refused.headers.get("retry-after"), "1");
  await refused.body?.cancel();
  const timedOut = await hung;
  assertEquals(timedOut.status, 503);
  await timedOut.body?.cancel();
  hang.resolve(new Response("late"));
  const failed = await fetch(s.url);
  assertEquals(failed.status, 500);
  await failed.body?.cancel();
  assertEquals(await (await fetch(s.url)).text(), "ok");
  const stats = s.guard.stats(0);
  assertEquals([stats.timedOut, stats.rejected, stats.inFlight], [1, 1, 0]);
});

Deno.test("sync runs a parameterless app one request at a time too", async () => {
  let running = 0;
  let most = 0;
  const app = async () => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 50));
    running--;
    return new Response("done");
  };
  await using s = serveGuarded(app, { workerClass: "sync", limits: NO_LIMITS });
  assertEquals(s.guard.readsRequest, false);
  const texts = await Promise.all([1, 2, 3].map(() => fetch(s.url).then((r) => r.text())));
  assertEquals(texts, ["done", "done", "done"]);
  assertEquals(most, 1);
});

Deno.test("a timed-out request is one warning saying where it was", async () => {
  using logs = captureLogs("warning");
  const never = () => new Promise<Response>(() => {});
  const context = { id: 1, pid: Deno.pid, generation: 0, log: null as never };
  const lines = async (overrides: Parameters<typeof serveGuarded>[1], paths: string[]) => {
    const from = logs.records.length;
    await using s = serveGuarded(never, { timeoutS: 0.2, ...overrides });
    await Promise.all(paths.map(async (path) => await (await fetch(`${s.url}${path}`)).text()));
    return logs.records.slice(from).map((r) => r.message.replace(/http:\/\/[^/]+/, ""));
  };
  assertEquals(await lines({}, ["/app"]), [
    "No response within 0.2 s to GET /app: answered 503",
  ]);
  assertEquals(
    await lines({ hooks: { context, preRequest: () => new Promise<void>(() => {}) } }, ["/hook"]),
    ["No response within 0.2 s to GET /hook, its pre_request hook still running: answered 503"],
  );
  assertEquals(
    await lines({
      workerClass: "sync",
      hooks: { context, preRequest: () => new Promise<void>(() => {}) },
    }, ["/hook"]),
    [
      "No response within 0.2 s to GET /hook, its pre_request hook still running " +
      "(this sync worker is replaced): answered 503",
    ],
  );
  // One line a sweep, however many time out in it: the oldest, and how many more.
  const sync = await lines({ workerClass: "sync" }, ["/first", "/second"]);
  // (Both arrive within a millisecond or two; should a sweep fall between them, two lines.)
  assertEquals(
    sync,
    sync.length === 1
      ? [
        "No response within 0.2 s to GET /first, its handler still running (this sync worker " +
        "is replaced): answered 503 (and 1 more request, also 503)",
      ]
      : [
        "No response within 0.2 s to GET /first, its handler still running (this sync worker " +
        "is replaced): answered 503",
        "No response within 0.2 s to GET /second, still waiting its turn in this sync worker: " +
        "answered 503",
      ],
  );
});
