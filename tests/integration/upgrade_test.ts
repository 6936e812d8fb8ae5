/**
 * The master's own hand-over and quick stop: USR2 starts a new master that
 * takes over the port, the pidfile and the control socket while a
 * keep-alive load runs; a failed upgrade leaves the old master in charge;
 * QUIT stops at once without waiting for in-flight requests.
 *
 * USR2 is driven without the harness's `startHerd`: the new master inherits
 * the old one's stdout, so the output pipes outlive the process the test
 * started, and the test follows the old master by its exit status instead.
 *
 * @module
 */
import { assert, assertEquals, assertNotEquals } from "../assert.ts";
import {
  assertNothingLost,
  childPids,
  fixtureApp,
  freePort,
  isAlive,
  loadLoop,
  MAIN,
  startHerd,
} from "./_harness.ts";

/** A master started directly, with everything it and its successors print. */
interface Master extends AsyncDisposable {
  pid: number;
  url: string;
  pidfile: string;
  status: Promise<Deno.CommandStatus>;
  lines: string[];
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Runs `main.ts <command> --json` with the same address. */
  control(command: string): Promise<{ code: number; json: unknown }>;
}

async function startMaster(
  app: string,
  extra: string[] = [],
  port: number = freePort(),
  /** How the address is given (flags outrank a config.ts's `bind`, which a test may change). */
  where: string[] = ["--host", "127.0.0.1", "--port", String(port)],
): Promise<Master> {
  const dir = await Deno.makeTempDir({ prefix: "herd-upgrade-" });
  const pidfile = `${dir}/herd.pid`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve", ...where, "--pidfile", pidfile, app, ...extra],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const masters = new Set([child.pid]);
  const record = (line: string) => {
    lines.push(line);
    const started = /started a new master \(pid: (\d+)\)/.exec(line);
    if (started) masters.add(Number(started[1]));
  };
  const pumps = [collect(child.stdout, record), collect(child.stderr, record)];
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    pidfile,
    status: child.status,
    lines,
    waitForLine: async (re, timeoutMs = 15_000) => {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const hit = lines.find((l) => re.test(l));
        if (hit !== undefined) return hit;
        await delay(50);
      }
      throw new Error(`Timed out waiting for ${re}:\n${lines.join("\n")}`);
    },
    control: async (command) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, command, "--json", ...where],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stderr: "null",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      return { code: output.code, json: output.code === 0 ? JSON.parse(text) : null };
    },
    async [Symbol.asyncDispose]() {
      // Every master seen, newest first, then whatever workers they left behind.
      const workers = [...masters].flatMap((pid) => childPids(pid));
      for (const pid of [...masters].reverse()) await terminate(pid);
      for (const pid of workers) if (isAlive(pid)) Deno.kill(pid, "SIGKILL");
      await child.status;
      await Promise.all(pumps);
    },
  };
}

async function terminate(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  Deno.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && isAlive(pid); i++) await delay(50);
  if (isAlive(pid)) Deno.kill(pid, "SIGKILL");
}

async function collect(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop()!;
    parts.forEach(onLine);
  }
  if (pending) onLine(pending);
}

/** A copy of the hello fixture, for a test to swap for another app before its USR2. */
async function appCopy(): Promise<string> {
  const app = `${await Deno.makeTempDir({ prefix: "herd-upgrade-app-" })}/app.ts`;
  await Deno.copyFile(fixtureApp("hello.ts"), app);
  return app;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readPid(path: string): number | null {
  try {
    return Number(Deno.readTextFileSync(path).trim());
  } catch {
    return null;
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface StatusJson {
  master: { pid: number };
  workers: { pid: number; state: string }[];
}

Deno.test("upgrade: USR2 under keep-alive load hands port, pidfile and control socket over", async () => {
  const metrics = `127.0.0.1:${freePort()}`;
  await using master = await startMaster(fixtureApp("hello.ts"), [
    ...["-w", "2", "--access-log=", "--metrics-bind", metrics],
  ]);
  await master.waitForLine(/Ready: 2 workers listening/);
  const oldWorkers = childPids(master.pid);
  assertEquals(readPid(master.pidfile), master.pid);
  const stop = new AbortController();
  const load = loadLoop(master.url, {
    concurrency: 4,
    signal: stop.signal,
    maxRequests: 50_000,
    keepAlive: true,
  });
  let status: Deno.CommandStatus;
  try {
    await delay(300);
    Deno.kill(master.pid, "SIGUSR2");
    status = await within(master.status, 20_000, "the old master to exit");
    // Keep the load on the new workers for a moment after the old master is gone.
    await delay(300);
  } finally {
    stop.abort();
  }
  const result = await load;
  assertEquals(status.code, 0, master.lines.join("\n"));
  await master.waitForLine(/Upgrade complete: stopping the old master/);
  const newPid = readPid(master.pidfile)!;
  assertNotEquals(newPid, master.pid);
  assert(isAlive(newPid), "the new master runs");
  assertEquals(readPid(`${master.pidfile}.oldbin`), null, ".oldbin is gone");
  const answer = await master.control("status");
  assertEquals(answer.code, 0, JSON.stringify(answer.json) + master.lines.join("\n"));
  const json = answer.json as StatusJson;
  assertEquals(json.master.pid, newPid);
  assertEquals(json.workers.length, 2);
  assert(json.workers.every((w) => !oldWorkers.includes(w.pid)), "new workers serve");
  // The metrics port too: the new master waited for its predecessor to let it go.
  await master.waitForLine(new RegExp(`\\[${newPid}\\] \\[INFO\\] Metrics at`), 5000);
  const scrape = await fetch(`http://${metrics}/metrics`).then((r) => r.text());
  assert(scrape.includes('herd_workers{state="ready"} 2'), scrape);
  const served = await fetch(master.url);
  await served.body?.cancel();
  assert(json.workers.some((w) => w.pid === Number(served.headers.get("x-pid"))));
  const servedBy = [...result.pids];
  assert(servedBy.some((pid) => oldWorkers.includes(pid)), "the load reached the old workers");
  assert(servedBy.some((pid) => json.workers.some((w) => w.pid === pid)), "and the new ones");
  assertNothingLost(result);
});

Deno.test("upgrade: when the new master cannot start, the old one keeps everything", async () => {
  const app = await appCopy();
  await using master = await startMaster(app, ["-w", "1", "--access-log="]);
  await master.waitForLine(/Ready: 1 worker listening/);
  // The new master preloads the app and stops with exit code 4.
  await Deno.copyFile(fixtureApp("crash_on_import.ts"), app);
  Deno.kill(master.pid, "SIGUSR2");
  await master.waitForLine(/Upgrade failed: the new master exited with code 4; still serving/);
  assertEquals(readPid(master.pidfile), master.pid);
  assertEquals(readPid(`${master.pidfile}.oldbin`), null);
  const answer = await master.control("status");
  assertEquals((answer.json as StatusJson).master.pid, master.pid);
  assertEquals(
    await fetch(master.url).then((r) => r.text()).then((t) => t.startsWith("hello")),
    true,
  );
});

Deno.test("upgrade: a bind the new configuration adds is refused when another program listens there, and the old master keeps everything", async () => {
  // Another program's SO_REUSEPORT server, which the kernel would let Herd's workers join.
  using other = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true });
  const taken = (other.addr as Deno.NetAddr).port;
  const port = freePort();
  const config = `${await Deno.makeTempDir({ prefix: "herd-upgrade-config-" })}/config.ts`;
  const binds = (...ports: number[]) =>
    `export default { bind: ${JSON.stringify(ports.map((p) => `127.0.0.1:${p}`))} };\n`;
  await Deno.writeTextFile(config, binds(port));
  await using master = await startMaster(
    fixtureApp("hello.ts"),
    ["-w", "1", "--access-log="],
    port,
    ["--config", config],
  );
  await master.waitForLine(/Ready: 1 worker listening/);
  await Deno.writeTextFile(config, binds(port, taken));
  Deno.kill(master.pid, "SIGUSR2");
  await master.waitForLine(
    new RegExp(`error: Address 127\\.0\\.0\\.1:${taken} is already in use \\("bind" from`),
  );
  await master.waitForLine(/Upgrade failed: the new master exited with code 5; still serving/);
  assertEquals(readPid(master.pidfile), master.pid);
  assertEquals(
    await fetch(master.url).then((r) => r.text()).then((t) => t.startsWith("hello")),
    true,
  );
});

Deno.test("upgrade: an old master killed during the upgrade leaves no .oldbin names once the new one serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-upgrade-kill-" });
  const control = `${dir}/control.sock`;
  await using master = await startMaster(fixtureApp("hello.ts"), ["--control-socket", control]);
  await master.waitForLine(/Ready: 1 worker|Ready: \d+ workers/);
  Deno.kill(master.pid, "SIGUSR2");
  await master.waitForLine(/Upgrading: started a new master/);
  Deno.kill(master.pid, "SIGKILL");
  await master.waitForLine(/Upgrade complete: the old master \(pid: \d+\) is gone/);
  const gone = (path: string) => Deno.lstat(path).then(() => false, () => true);
  const deadline = Date.now() + 5000;
  while (!(await gone(`${master.pidfile}.oldbin`) && await gone(`${control}.oldbin`))) {
    assert(Date.now() < deadline, [...Deno.readDirSync(dir)].map((e) => e.name).join(", "));
    await delay(50);
  }
  assertNotEquals(readPid(master.pidfile), master.pid, "the new master holds the pidfile");
  const res = await fetch(master.url);
  assertEquals(res.status, 200);
  await res.body?.cancel();
});

Deno.test("upgrade: an old master killed while it drains leaves no .oldbin names behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-upgrade-drain-kill-" });
  const control = `${dir}/control.sock`;
  await using master = await startMaster(fixtureApp("slow.ts"), ["--control-socket", control]);
  await master.waitForLine(/Ready: /);
  // Keeps the old master draining after the hand-over.
  const slow = fetch(`${master.url}/slow?ms=4000`).then((r) => r.body?.cancel(), () => {});
  await master.waitForLine(/slow request started/);
  Deno.kill(master.pid, "SIGUSR2");
  await master.waitForLine(/Upgrade complete: stopping the old master/);
  Deno.kill(master.pid, "SIGKILL");
  const gone = (path: string) => Deno.lstat(path).then(() => false, () => true);
  const deadline = Date.now() + 5000;
  while (!(await gone(`${master.pidfile}.oldbin`) && await gone(`${control}.oldbin`))) {
    assert(Date.now() < deadline, [...Deno.readDirSync(dir)].map((e) => e.name).join(", "));
    await delay(100);
  }
  await slow;
});

Deno.test("upgrade: a second USR2 right after the first completes keeps the master's own .oldbin pidfile", async () => {
  await using master = await startMaster(fixtureApp("slow.ts"));
  await master.waitForLine(/Ready: /);
  Deno.kill(master.pid, "SIGUSR2");
  await master.waitForLine(/Upgrade complete: stopping the old master/);
  for (let i = 0; i < 100 && isAlive(master.pid); i++) await delay(20);
  const second = readPid(master.pidfile)!;
  assertNotEquals(second, master.pid);
  // Keeps the second master draining for 3 s once it hands over.
  const from = master.lines.length;
  const slow = fetch(`${master.url}/slow?ms=3000`).then((r) => r.body?.cancel(), () => {});
  const started = () => master.lines.slice(from).some((l) => l.includes("slow request started"));
  for (let i = 0; i < 100 && !started(); i++) await delay(20);
  // Before the second master's once-a-second look for its gone predecessor's names.
  Deno.kill(second, "SIGUSR2");
  const upgrading = new RegExp(`\\[${second}\\] \\[INFO\\] Upgrading: started a new master`);
  await master.waitForLine(upgrading);
  // While the second master lives (it hands over, then drains), the .oldbin pidfile is its own.
  for (let i = 0; i < 40 && isAlive(second); i++) {
    const oldbin = readPid(`${master.pidfile}.oldbin`);
    assert(oldbin === second || !isAlive(second), `.oldbin holds ${oldbin}, not ${second}`);
    await delay(50);
  }
  await slow;
});

Deno.test("serve: a fresh start clears the stale .oldbin names a killed upgrade left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-oldbin-" });
  const control = `${dir}/control.sock`;
  // What an old master killed mid-upgrade leaves: a pidfile naming a dead process, a socket
  // nothing answers on.
  await Deno.writeTextFile(`${dir}/herd.pid.oldbin`, "999999\n");
  const dead = Deno.listen({ transport: "unix", path: `${dir}/keep.sock` });
  Deno.linkSync(`${dir}/keep.sock`, `${control}.oldbin`);
  dead.close();
  await using _herd = await startHerd({
    args: [
      fixtureApp("hello.ts"),
      "-w",
      "1",
      "--control-socket",
      control,
      "--pidfile",
      `${dir}/herd.pid`,
    ],
  });
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert(
    !names.includes("herd.pid.oldbin") && !names.includes("control.sock.oldbin"),
    names.join(),
  );
});

Deno.test("signals: QUIT stops at once, cutting in-flight requests, and exits 0", async () => {
  await using herd = await startHerd({
    args: [fixtureApp("slow.ts"), "-w", "2", "--graceful-timeout", "30", "--access-log="],
  });
  const workers = herd.workerPids();
  // Settled at once, so the expected rejection is never unhandled.
  const slow = fetch(`${herd.url}/slow?ms=10000`).then((r) => r.text()).then(
    (text) => `answered: ${text}`,
    () => "cut",
  );
  await herd.waitForLog(/slow request started/);
  herd.kill("SIGQUIT");
  const status = await herd.waitForExit(5000);
  assertEquals(status.code, 0);
  await herd.waitForLog(/Shutting down quickly \(SIGQUIT\)/);
  assertEquals(await slow, "cut");
  assertEquals(workers.filter(isAlive), []);
});

Deno.test("upgrade: with port 0 the new master keeps the port its predecessor picked", async () => {
  await using master = await startMaster(fixtureApp("hello.ts"), ["-w", "1", "--access-log="], 0);
  const ready = await master.waitForLine(
    /Ready: 1 worker listening on http:\/\/127\.0\.0\.1:\d+/,
  );
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(ready)![1]);
  Deno.kill(master.pid, "SIGUSR2");
  // The new master's own Ready line, then the old master's exit.
  const from = master.lines.length;
  const deadline = Date.now() + 15_000;
  let second: string | undefined;
  while (second === undefined && Date.now() < deadline) {
    second = master.lines.slice(from).find((l) => /Ready: 1 worker listening on/.test(l));
    await delay(50);
  }
  assert(second !== undefined, master.lines.join("\n"));
  assertEquals(Number(/127\.0\.0\.1:(\d+)/.exec(second)![1]), port, second);
  await within(master.status, 15_000, "the old master exits after the hand-over");
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assertEquals(res.status, 200);
  await res.body?.cancel();
});

Deno.test("upgrade: a worker replaced mid-upgrade reaches the old master, which takes everything back when the new one is stopped before taking over", async () => {
  const app = await appCopy();
  await using master = await startMaster(app, ["-w", "1", "--access-log="]);
  await master.waitForLine(/Ready: 1 worker listening/);
  const [oldWorker] = childPids(master.pid);
  // The new master, and the old master's replacement worker, take 1.5 s to import it.
  await Deno.copyFile(fixtureApp("slow_import.ts"), app);
  Deno.kill(master.pid, "SIGUSR2");
  const started = await master.waitForLine(/started a new master \(pid: (\d+)\)/);
  const successor = Number(/pid: (\d+)/.exec(started)![1]);
  // Meanwhile status finds the old master at the socket's `.oldbin` name.
  const during = await master.control("status");
  assertEquals((during.json as StatusJson).master.pid, master.pid);
  // A crash while the control socket is handed over: the replacement must still reach us.
  Deno.kill(oldWorker, "SIGKILL");
  await master.waitForLine(new RegExp(`\\[${master.pid}\\] .*Booting worker 1`), 5000);
  await delay(300);
  // Stopped while it preloads the app: it exits 0 without ever taking over.
  Deno.kill(successor, "SIGTERM");
  await master.waitForLine(/Upgrade abandoned: the new master \(pid: \d+\) exited before taking/);
  const ready = new RegExp(`\\[${master.pid}\\] .*Worker 1 \\(pid: (\\d+)\\) listening`);
  const readyLines = () => master.lines.filter((l) => ready.test(l));
  const deadline = Date.now() + 10_000;
  while (readyLines().length < 2 && Date.now() < deadline) await delay(50);
  assertEquals(readyLines().length, 2, master.lines.join("\n"));
  assert(
    !master.lines.some((l) => /failed to boot|exited with code 6/.test(l)),
    master.lines.join("\n"),
  );
  assertEquals(readPid(master.pidfile), master.pid);
  assertEquals(readPid(`${master.pidfile}.oldbin`), null);
  const answer = await master.control("status");
  assertEquals(answer.code, 0, JSON.stringify(answer.json));
  assertEquals((answer.json as StatusJson).master.pid, master.pid);
  const res = await fetch(master.url);
  assertEquals(await res.text(), "loaded\n");
});

Deno.test("upgrade: a new master refuses USR2 while the one it replaced still drains", async () => {
  await using master = await startMaster(fixtureApp("routes.ts"), ["-w", "1", "--access-log="]);
  await master.waitForLine(/Ready: 1 worker listening/);
  // Keeps the old master draining for 4 s after the hand-over.
  const slow = fetch(`${master.url}/slow?ms=4000`).then((r) => r.text());
  await delay(200);
  Deno.kill(master.pid, "SIGUSR2");
  const started = await master.waitForLine(/started a new master \(pid: (\d+)\)/);
  const successor = Number(/pid: (\d+)/.exec(started)![1]);
  await master.waitForLine(/Upgrade complete: stopping the old master/);
  Deno.kill(successor, "SIGUSR2");
  await master.waitForLine(
    new RegExp(`Upgrade ignored: the master this one replaced \\(pid: ${master.pid}\\) is still`),
  );
  assertEquals(await slow, "slow done\n");
  await within(master.status, 15_000, "the old master exits");
  // Its exit left the new master's socket alone.
  const answer = await master.control("status");
  assertEquals((answer.json as StatusJson).master.pid, successor);
  Deno.kill(successor, "SIGTERM");
});

const UNSHARE = await new Deno.Command("unshare", { args: ["--help"], stdout: "null" }).output()
  .then((o) => o.success, () => false);

// A container in a new pid namespace: the master is its pid 1, or the child of an init named
// `init` (a copy of sh, standing in for tini, which exits with its one child as tini does).
async function usr2InContainer(init: string | null, refused: RegExp): Promise<void> {
  const port = freePort();
  const serve = [Deno.execPath(), "run", "-A", MAIN, "serve"]
    .concat([fixtureApp("hello.ts"), "-p", String(port), "-w", "1"]);
  let command = serve;
  if (init !== null) {
    const dir = await Deno.makeTempDir({ prefix: "herd-init-" });
    await Deno.copyFile("/bin/sh", `${dir}/${init}`);
    command = [`${dir}/${init}`, "-c", `${serve.map((a) => `'${a}'`).join(" ")}; exit $?`];
  }
  const child = new Deno.Command("unshare", {
    args: ["--fork", "--pid", "--mount-proc", ...command],
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = (async () => {
    const text = child.stderr.pipeThrough(new TextDecoderStream());
    for await (const chunk of text) lines.push(...chunk.split("\n"));
  })();
  let host: number | undefined;
  const until = async (re: RegExp) => {
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => re.test(l)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(lines.some((l) => re.test(l)), lines.join("\n"));
  };
  try {
    await until(/\[INFO\] Ready: 1 worker/);
    // The master's pid outside its namespace: unshare's child, or its init's.
    const top = childPids(child.pid, init ?? MAIN)[0];
    [host] = init === null ? [top] : childPids(top, MAIN);
    assert(host !== undefined, "the master runs");
    Deno.kill(host, "SIGUSR2");
    await until(refused);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assertEquals(res.status, 200);
    await res.body?.cancel();
    Deno.kill(host, "SIGTERM");
    assertEquals((await child.status).code, 0);
  } finally {
    // Killing the namespace's pid 1 ends everything in it; killing unshare would not.
    for (const pid of [host, child.pid]) {
      try {
        if (pid !== undefined) Deno.kill(pid, "SIGKILL");
      } catch {
        // Exited.
      }
    }
    await reading;
  }
}

Deno.test({
  name:
    "upgrade: a master that is pid 1 (a container's init) refuses USR2 with a line, and serves on",
  ignore: !UNSHARE || Deno.uid() !== 0,
  fn: () => usr2InContainer(null, /\[1\] \[WARNING\] Upgrade ignored: this master is pid 1/),
});

Deno.test({
  name: "upgrade: a master under tini (a container's init) refuses USR2 with a line, and serves on",
  ignore: !UNSHARE || Deno.uid() !== 0,
  fn: () =>
    usr2InContainer(
      "tini",
      /\[2\] \[WARNING\] Upgrade ignored: this master runs under tini \(the container's init\)/,
    ),
});
