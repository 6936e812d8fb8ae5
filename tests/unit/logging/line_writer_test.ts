/**
 * Tests for `src/logging/line_writer.ts` with real files in a temp
 * directory and, where concurrency matters, real child processes.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../../assert.ts";
import {
  FLUSH_BYTES,
  logFile,
  logTarget,
  openLineWriter,
} from "../../../src/logging/line_writer.ts";

const CHILD = new URL("./_append_lines.ts", import.meta.url).pathname;

async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herd_line_writer_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `fn` on a 16 KiB disk (tmpfs; needs root) with 12 KiB taken by `filler`: a log there gets
 * one 4 KiB page, and a batch of 5,000 bytes does not fit.
 */
async function withAlmostFullDisk(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir],
  }).output();
  assert(mount.success, new TextDecoder().decode(mount.stderr));
  try {
    await Deno.writeFile(`${dir}/filler`, new Uint8Array(12 * 1024));
    await fn(dir);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Polls until `path` holds `expected`, for at most `limitMs` (generous: the machine is shared). */
async function waitForText(path: string, expected: string, limitMs = 2000): Promise<string> {
  const deadline = Date.now() + limitMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await Deno.readTextFile(path);
    if (text === expected) return text;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return text;
}

async function runChild(args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
}

Deno.test("buffered lines reach the file on the timer, not at write()", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.log`;
    const writer = openLineWriter({ path });
    writer.write("one");
    writer.write("two");
    assertEquals(await Deno.readTextFile(path), "", "nothing written synchronously");
    assertEquals(await waitForText(path, "one\ntwo\n"), "one\ntwo\n");
    writer.close();
  });
});

Deno.test("flush() and close() write pending lines at once; writes after close are dropped", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.log`;
    const writer = openLineWriter({ path });
    writer.write("first");
    writer.flush();
    assertEquals(await Deno.readTextFile(path), "first\n");
    writer.write("second");
    writer.close();
    assertEquals(await Deno.readTextFile(path), "first\nsecond\n");
    writer.write("late");
    writer.flush();
    writer.close();
    assertEquals(await Deno.readTextFile(path), "first\nsecond\n");
  });
});

Deno.test("a full buffer is written without waiting for the timer", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.log`;
    const writer = openLineWriter({ path });
    const line = "y".repeat(1023);
    for (let i = 0; i < FLUSH_BYTES / 1024; i++) writer.write(line);
    assertEquals((await Deno.stat(path)).size, FLUSH_BYTES);
    writer.close();
  });
});

Deno.test("write-through mode writes each line at once", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a.log`;
    const writer = openLineWriter({ path }, { buffered: false });
    writer.write("now");
    assertEquals(await Deno.readTextFile(path), "now\n");
    writer.close();
  });
});

Deno.test("reopen after mv writes to a new file and the old one keeps its lines", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/access.log`;
    const writer = openLineWriter({ path });
    writer.write("before rotation");
    await Deno.rename(path, `${path}.1`);
    writer.write("still before");
    writer.reopen();
    writer.write("after rotation");
    writer.close();
    assertEquals(await Deno.readTextFile(`${path}.1`), "before rotation\nstill before\n");
    assertEquals(await Deno.readTextFile(path), "after rotation\n");
  });
});

Deno.test("lines dropped while a reopen failed are counted and told once writing again", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/access.log`;
    const told: string[] = [];
    const writer = openLineWriter({ path }, {
      label: "access log",
      onError: (message) => told.push(message),
      onResume: (message) => told.push(message),
    });
    writer.write("before rotation");
    await Deno.rename(path, `${path}.1`);
    await Deno.mkdir(path); // a rotation gone wrong: the path is a directory now
    assertMatch(writer.reopen()!, /^Cannot reopen access log ".*access\.log": Is a directory/);
    for (let i = 0; i < 3; i++) writer.write(`dropped ${i}`);
    writer.flush();
    await Deno.remove(path);
    assertEquals(writer.reopen(), null);
    writer.write("after the reopen");
    writer.close();
    assertEquals(await Deno.readTextFile(path), "after the reopen\n");
    assertEquals(told.length, 2);
    assertMatch(told[0], /dropping lines until a reopen succeeds$/);
    assertEquals(told[1], `Writing to access log "${path}" again; 3 lines dropped`);
  });
});

Deno.test("a failing write drops the batch, never throws, and is reported once", () => {
  const reports: string[] = [];
  // /dev/full fails every write with ENOSPC: a disk that is full.
  const writer = openLineWriter({ path: "/dev/full" }, {
    label: "access log",
    onError: (message) => reports.push(message),
  });
  for (let i = 0; i < 3; i++) {
    writer.write(`line ${i}`);
    writer.flush();
  }
  writer.close();
  assertEquals(reports.length, 1);
  assertMatch(reports[0], /^Cannot write to access log "\/dev\/full": No space left on device; /);
});

Deno.test({
  name: "a disk that fills mid-write leaves a fragment on its own line, and the gap is told",
  ignore: Deno.uid() !== 0,
  fn: () =>
    withAlmostFullDisk(async (dir) => {
      const told: string[] = [];
      const writer = openLineWriter({ path: `${dir}/access.log` }, {
        label: "access log",
        onError: (message) => told.push(message),
        onResume: (message) => told.push(message),
      });
      for (let i = 0; i < 50; i++) writer.write(`${String(i).padStart(2, "0")} ${"x".repeat(96)}`);
      writer.flush(); // 4,096 of 5,000 bytes written: 40 lines and the start of the 41st
      await Deno.remove(`${dir}/filler`);
      writer.write("after the disk had room again");
      writer.close();
      const lines = (await Deno.readTextFile(`${dir}/access.log`)).split("\n");
      assertEquals(lines.length, 43); // 40 whole, the fragment, the line after, and ""
      assertEquals(lines[40], "40 " + "x".repeat(4096 - 40 * 100 - 3));
      assertEquals(lines[41], "after the disk had room again");
      assertEquals(told.length, 2);
      assertMatch(told[0], /^Cannot write to access log ".*access\.log": No space left on device/);
      assertEquals(told[1], `Writing to access log "${dir}/access.log" again; 10 lines dropped`);
    }),
});

Deno.test({
  name: "a fragment one writer left is ended by the next writer to the file, not glued onto",
  ignore: Deno.uid() !== 0,
  fn: () =>
    withAlmostFullDisk(async (dir) => {
      // Two workers' writers: each has its own O_APPEND descriptor, as two processes do.
      const path = `${dir}/access.log`;
      const [torn, other] = [openLineWriter({ path }), openLineWriter({ path })];
      for (let i = 0; i < 50; i++) torn.write(`${String(i).padStart(2, "0")} ${"x".repeat(96)}`);
      torn.flush(); // the page holds 40 lines and the start of the 41st
      other.write("dropped: the disk is full");
      other.flush();
      await Deno.remove(`${dir}/filler`);
      other.write("the other writer's first line after the disk had room again");
      other.flush();
      torn.write("the torn writer's first line after");
      torn.close();
      other.close();
      const lines = (await Deno.readTextFile(path)).split("\n");
      assertEquals(lines.slice(40), [
        "40 " + "x".repeat(4096 - 40 * 100 - 3),
        "the other writer's first line after the disk had room again",
        "the torn writer's first line after",
        "",
      ]);
    }),
});

Deno.test("two processes appending 10 000 lines each never interleave mid-line", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/shared.log`;
    await Promise.all([runChild([path, "a", "10000"]), runChild([path, "b", "10000"])]);
    const lines = (await Deno.readTextFile(path)).split("\n");
    assertEquals(lines.pop(), "", "the file ends with a newline");
    assertEquals(lines.length, 20000);
    const next: Record<string, number> = { a: 0, b: 0 };
    const pattern = /^([ab]) (\d+) x{90}$/;
    for (const line of lines) {
      const match = pattern.exec(line);
      assert(match !== null, `torn line: ${JSON.stringify(line.slice(0, 120))}`);
      assertEquals(Number(match[2]), next[match[1]], "each writer's lines stay in order");
      next[match[1]]++;
    }
    assertEquals(next, { a: 10000, b: 10000 });
  });
});

Deno.test("the unref'd timer does not keep a process alive, and exit flushes", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/exit.log`;
    await runChild([path, "c", "3", "exit"]);
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
    assertEquals(lines.map((l) => l.slice(0, 4)), ["c 0 ", "c 1 ", "c 2 "]);
  });
});

Deno.test("multi-byte text and a line longer than the buffer keep their bytes and their order", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/utf8.log`;
    const log = openLineWriter({ path });
    const long = "é€😀".repeat(FLUSH_BYTES / 2); // far past the buffer once encoded
    const lines = ["café €5 😀", long, "after the long one"];
    // Enough short lines to cross a flush boundary with multi-byte text in the buffer.
    for (let i = 0; i < 3000; i++) lines.push(`line ${i} — ünïcödé`);
    for (const line of lines) log.write(line);
    log.close();
    assertEquals(await Deno.readTextFile(path), lines.join("\n") + "\n");
  });
});

Deno.test("logTarget(): - is the setting's own stream; /dev/stdout and /dev/stderr are the streams", () => {
  assertEquals(logTarget("-", "stdout"), "stdout");
  assertEquals(logTarget("-", "stderr"), "stderr");
  for (const path of ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]) {
    assertEquals(logTarget(path, "stderr"), "stdout");
  }
  for (const path of ["/dev/stderr", "/dev/fd/2", "/proc/self/fd/2"]) {
    assertEquals(logTarget(path, "stdout"), "stderr");
  }
  assertEquals(logTarget("logs/access.log", "stdout"), { path: "logs/access.log" });
  assertEquals(logTarget("/dev/null", "stdout"), { path: "/dev/null" });
});

Deno.test("logFile(): the file a log setting names, null for off and the streams", () => {
  assertEquals(logFile(null), null);
  assertEquals(logFile(""), null);
  assertEquals(logFile("-"), null);
  assertEquals(logFile("/dev/stderr"), null);
  assertEquals(logFile("logs/error.log"), "logs/error.log");
});

Deno.test("writePieces(): ASCII pieces are copied; any other line goes whole, in its place", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/pieces.log`;
    const writer = openLineWriter({ path });
    let calls = 0;
    const fill = (pieces: string[], sink: (piece: string) => void) => {
      calls++;
      pieces.forEach(sink);
    };
    writer.writePieces(fill, ["GET", " /a ", "200"]);
    writer.writePieces(fill, ["caf", "\u00e9 au", " lait"]);
    const long = "x".repeat(FLUSH_BYTES);
    writer.writePieces(fill, ["a", long]);
    writer.writePieces(fill, ["last"]);
    // Each line was put together once, however it went out.
    assertEquals(calls, 4);
    writer.close();
    assertEquals(
      await Deno.readTextFile(path),
      `GET /a 200\ncaf\u00e9 au lait\na${long}\nlast\n`,
    );
    writer.writePieces(fill, ["late"]);
    assertEquals(calls, 4, "after close() a line is dropped unformatted");
  });
});

Deno.test("writePieces(): a line that does not fit the rest of the buffer goes after a flush", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/pieces.log`;
    const writer = openLineWriter({ path });
    const fill = (piece: string, sink: (piece: string) => void) => sink(piece);
    const first = "a".repeat(FLUSH_BYTES - 2000);
    writer.writePieces(fill, first);
    // Less than its room is left: the pending line is written first, then this one queued.
    writer.writePieces(fill, "b".repeat(3000));
    assertEquals(await Deno.readTextFile(path), `${first}\n`);
    writer.close();
    assertEquals(await Deno.readTextFile(path), `${first}\n${"b".repeat(3000)}\n`);
  });
});

Deno.test("writePieces(): a write-through writer writes the joined line at once", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/pieces.log`;
    const writer = openLineWriter({ path }, { buffered: false });
    writer.writePieces((pieces: string[], sink) => pieces.forEach(sink), ["x", "\u00e9"]);
    assertEquals(await Deno.readTextFile(path), "x\u00e9\n");
    writer.close();
  });
});

Deno.test("two processes writing long lines to one stdout pipe never splice a line", async () => {
  // A pipe keeps a write whole only up to PIPE_BUF (4 KiB): 64 KiB batches were spliced when
  // the reader was slow (measured: ~10 lines in 4,000 of 3,000 bytes).
  const child = (id: string) => `"${Deno.execPath()}" run -A "${CHILD}" - ${id} 2000 close 3000`;
  const out = await new Deno.Command("sh", {
    args: ["-c", `(${child("A")} & ${child("B")} & wait) | (sleep 1; cat)`],
    stdout: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
  assertEquals(lines.length, 4000);
  const spliced = lines.filter((l) => !/^[AB] \d+ x{3000}$/.test(l));
  assertEquals(spliced.length, 0, `${spliced.length} spliced lines`);
});
