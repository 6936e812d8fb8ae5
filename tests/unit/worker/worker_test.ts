/**
 * End-to-end tests of `runWorker` without the master: the test listens on a
 * Unix socket as a fake master, spawns `main.ts __worker`, and plays the
 * master's side of the protocol.
 *
 * @module
 */
import { freePort } from "../../integration/_harness.ts";
import { assert, assertEquals } from "../../assert.ts";
import { Channel } from "../../../src/ipc/channel.ts";
import { ExitCode, type Frame } from "../../../src/ipc/protocol.ts";
import { type DataSettings, defaultSettings } from "../../../src/settings/table.ts";
import { dataSettings } from "../../../src/master/master_hooks.ts";

const REPO = new URL("../../../", import.meta.url).pathname;
const FIXTURES = new URL("../../fixtures/worker/", import.meta.url).pathname;

function settingsWith(overrides: Partial<DataSettings>): DataSettings {
  return { ...dataSettings(defaultSettings("development")), ...overrides };
}

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A spawned worker connected to the test's fake master. */
class FakeMaster implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly channel: Channel;
  readonly #frames: AsyncIterator<Frame>;
  readonly #dir: string;

  private constructor(child: Deno.ChildProcess, channel: Channel, dir: string) {
    this.child = child;
    this.channel = channel;
    this.#frames = channel[Symbol.asyncIterator]();
    this.#dir = dir;
  }

  /** Spawns a worker, checks its hello and answers with `settings`. */
  static async start(settings: DataSettings, port: number): Promise<FakeMaster> {
    const dir = await Deno.makeTempDir({ prefix: "herd-worker-test-" });
    const control = `${dir}/control.sock`;
    const listener = Deno.listen({ transport: "unix", path: control });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "__worker"],
      cwd: REPO,
      env: { _HERD_WORKER: JSON.stringify({ id: 3, token: "secret", control }) },
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    try {
      const conn = await within(20_000, "the worker to connect", listener.accept());
      const master = new FakeMaster(child, new Channel(conn), dir);
      const hello = await master.next("hello");
      assertEquals(hello, { type: "hello", id: 3, pid: child.pid, token: "secret" });
      await master.channel.send({
        type: "config",
        settings,
        configPath: null,
        generation: 1,
        port,
      });
      return master;
    } catch (error) {
      child.kill("SIGKILL");
      await child.status;
      throw error;
    } finally {
      listener.close();
    }
  }

  /** The next frame, which must be of `type` (heartbeats are skipped unless asked for). */
  async next<T extends Frame["type"]>(type: T): Promise<Extract<Frame, { type: T }>> {
    while (true) {
      const next = await within(10_000, `a "${type}" frame`, this.#frames.next());
      if (next.done) throw new Error(`Channel closed while waiting for "${type}"`);
      if (next.value.type === type) return next.value as Extract<Frame, { type: T }>;
      if (next.value.type !== "heartbeat") {
        throw new Error(`Unexpected ${JSON.stringify(next.value)}`);
      }
    }
  }

  async exitCode(ms: number): Promise<number> {
    return (await within(ms, "the worker to exit", this.child.status)).code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.channel.close();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.child.status;
    await Deno.remove(this.#dir, { recursive: true });
  }
}

Deno.test("worker: hello, config, ready, serves, heartbeats, drains with exit 0", async () => {
  const port = freePort();
  await using master = await FakeMaster.start(
    settingsWith({ app: `${FIXTURES}slow_app.ts`, port: 0, access_log: null }),
    port,
  );
  const ready = await master.next("ready");
  assertEquals(ready.addresses, [`http://127.0.0.1:${port}`]);
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assertEquals(await res.text(), `worker app ${master.child.pid}`);
  let beat = await master.next("heartbeat");
  while (beat.served < 1) beat = await master.next("heartbeat");
  assertEquals(beat.byClass[1], 1);
  assert(beat.rss > 0);
  const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  await master.channel.send({ type: "drain", reason: "reload", graceMs: 5000 });
  assertEquals(await slow, `worker app ${master.child.pid}`);
  assertEquals(await master.exitCode(5000), ExitCode.Ok);
});

Deno.test("worker: drains and exits with Orphaned within 2 s when the master's socket closes", async () => {
  const port = freePort();
  await using master = await FakeMaster.start(settingsWith({ port, access_log: null }), port);
  await master.next("ready");
  master.channel.close();
  assertEquals(await master.exitCode(2000), ExitCode.Orphaned);
});

Deno.test("worker: drains and exits with Orphaned within 2 s when its stdin closes", async () => {
  const port = freePort();
  await using master = await FakeMaster.start(settingsWith({ port, access_log: null }), port);
  await master.next("ready");
  await master.child.stdin.close();
  assertEquals(await master.exitCode(2000), ExitCode.Orphaned);
});

Deno.test("worker: boot errors are reported with their exit codes", async () => {
  const port = freePort();
  {
    await using master = await FakeMaster.start(
      settingsWith({ app: `${FIXTURES}wrong_export_app.ts`, port, access_log: null }),
      port,
    );
    const error = await master.next("boot_error");
    assertEquals(error.code, ExitCode.AppLoadError);
    assert(error.message.startsWith("Invalid default export of"), error.message);
    assertEquals(await master.exitCode(5000), ExitCode.AppLoadError);
  }
  // A socket without SO_REUSEPORT on the port makes the worker's bind fail.
  using _occupied = Deno.listen({ hostname: "127.0.0.1", port });
  await using master = await FakeMaster.start(settingsWith({ port, access_log: null }), port);
  const error = await master.next("boot_error");
  assertEquals(error.code, ExitCode.BindError);
  assert(error.message.startsWith(`Cannot listen on "http://127.0.0.1:${port}"`), error.message);
  assertEquals(await master.exitCode(5000), ExitCode.BindError);
});
