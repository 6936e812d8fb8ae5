import { assert, assertEquals } from "../../assert.ts";
import { ControlEndpoint, controlSocketRefusal } from "../../../src/master/control_server.ts";
import { ExitCode } from "../../../src/ipc/protocol.ts";
import { EventQueue, systemClock } from "../../../src/master/events.ts";
import { Channel } from "../../../src/ipc/channel.ts";

async function hello(path: string): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path });
  const channel = new Channel(conn);
  await channel.send({ type: "hello", id: 1, token: "t", pid: Deno.pid });
  channel.close();
}

async function nextKind(queue: EventQueue): Promise<string | undefined> {
  const event = await queue.next(systemClock.now() + 5000);
  return event?.kind;
}

Deno.test("control endpoint: its workers' path still reaches it after a successor took the configured path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-control-" });
  const path = `${dir}/control.sock`;
  const oldQueue = new EventQueue(systemClock);
  const old = await ControlEndpoint.open(path, { queue: oldQueue });
  // A worker started just before the hand-over is given this path, and connects just after.
  const workerPath = old.workerPath;
  await old.handOver();
  assertEquals(old.path, `${path}.oldbin`);
  // The new master: in the same process here, so its own path gets another name.
  const newQueue = new EventQueue(systemClock);
  const successor = await openAs(path, newQueue);
  try {
    await hello(workerPath);
    assertEquals(await nextKind(oldQueue), "hello", "the old master hears its worker");
    await hello(path);
    assertEquals(await nextKind(newQueue), "hello", "the configured path is the new master's");
    await old.close();
    assert(await exists(path), "the old master leaves the new master's socket");
    assert(!(await exists(`${path}.oldbin`)));
    assert(!(await exists(workerPath)));
  } finally {
    await successor.close();
    await old.close();
  }
  assertEquals([...Deno.readDirSync(dir)], [], "nothing left behind");
  await Deno.remove(dir);
});

Deno.test("control endpoint: takes its name back, and clears a crashed master's own socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-control-" });
  const path = `${dir}/control.sock`;
  // What a master killed by SIGKILL leaves: its own socket, nothing listening. (Closing a
  // listener unlinks its path: a second name keeps the socket file.)
  const crashed = Deno.listen({ transport: "unix", path: `${dir}/keep` });
  Deno.linkSync(`${dir}/keep`, `${path}.999999`);
  crashed.close();
  Deno.linkSync(`${path}.999999`, `${dir}/keep`);
  const queue = new EventQueue(systemClock);
  const control = await ControlEndpoint.open(path, { queue });
  try {
    assert(!(await exists(`${path}.999999`)), "the leftover is gone");
    await control.handOver();
    await control.takeBack();
    assertEquals(control.path, path);
    await hello(path);
    assertEquals(await nextKind(queue), "hello");
  } finally {
    await control.close();
  }
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["keep"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("control endpoint: of two masters opening one path at the same moment, the second is told it is in use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-control-" });
  const path = `${dir}/control.sock`;
  // Both find the path free, step for step, before either links its socket there: the second
  // link meets the first's (EEXIST), which is a master answering, not a configuration error.
  const first = ControlEndpoint.open(path, { queue: new EventQueue(systemClock) });
  const second = openAs(path, new EventQueue(systemClock));
  const settled = await Promise.allSettled([first, second]);
  const opened = settled.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  const refused = settled.flatMap((s) => s.status === "rejected" ? [s.reason] : []);
  try {
    // Either may win: the one that links first.
    assertEquals(opened.length, 1, refused.map(String).join("\n"));
    assert(refused[0] instanceof Deno.errors.AddrInUse, String(refused[0]));
    assertEquals(controlSocketRefusal(path, refused[0]).code, ExitCode.BindError);
  } finally {
    for (const endpoint of opened) await endpoint.close();
  }
  assertEquals([...Deno.readDirSync(dir)], [], "nothing left behind");
  await Deno.remove(dir);
});

// A second endpoint for the same path, as a new master would open it: the own path is
// `<path>.<pid>`, so within one process the successor is opened with a fake pid.
async function openAs(path: string, queue: EventQueue): Promise<ControlEndpoint> {
  const pid = Object.getOwnPropertyDescriptor(Deno, "pid")!;
  Object.defineProperty(Deno, "pid", { value: Deno.pid + 1_000_000, configurable: true });
  try {
    return await ControlEndpoint.open(path, { queue });
  } finally {
    Object.defineProperty(Deno, "pid", pid);
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
