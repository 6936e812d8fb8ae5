/**
 * The single binary: `scripts/compile.ts`'s pure parts, its one-line
 * failure when denort cannot be downloaded, and, when `DENORT_BIN` points at
 * a local denort, the compiled binary itself: `--version`, `--help`,
 * `config --json`, `check`, and `serve` with workers that are the binary.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  compileArgs,
  explainCompileFailure,
  planJobs,
  RELEASE_TARGETS,
} from "../../scripts/compile.ts";
import { VERSION } from "../../src/version.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENORT_BIN = Deno.env.get("DENORT_BIN") || null;
const decoder = new TextDecoder();

// What Deno 2.9.6 printed here when dl.deno.land was unreachable.
const DOWNLOAD_FAILURE = `Compile main.ts to dist/herd
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'dist/herd.tmp-25da15a929065c41'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
`;

Deno.test("compileArgs: unstable net, all permissions, no second check, target and output", () => {
  assertEquals(
    compileArgs({ target: "aarch64-apple-darwin", output: "dist/x", includes: ["a.ts"] }),
    [
      "compile",
      "--unstable-net",
      "-A",
      "--no-check",
      "--include",
      "a.ts",
      "--target",
      "aarch64-apple-darwin",
      "--output",
      "dist/x",
      "main.ts",
    ],
  );
});

Deno.test("explainCompileFailure translates only the denort download failure", () => {
  assertMatch(explainCompileFailure(DOWNLOAD_FAILURE)!, /^error: .*; set DENORT_BIN to a local/);
  assertEquals(explainCompileFailure('error: Module not found "file:///x.ts"'), null);
  assertEquals(explainCompileFailure("0: Could not find denort at '/nope'"), null);
});

Deno.test("planJobs: one host binary, every release target, no cross build on DENORT_BIN", () => {
  const host = "x86_64-unknown-linux-gnu";
  assertEquals(planJobs({ all: false, outDir: "dist", denortBin: "/d", hostTarget: host }), [
    { target: null, output: "dist/herd", includes: [] },
  ]);
  const all = planJobs({ all: true, outDir: "out", denortBin: null, hostTarget: host });
  assert(Array.isArray(all));
  assertEquals(all.map((job) => job.output), RELEASE_TARGETS.map((t) => `out/herd-${t}`));
  const refused = planJobs({ all: true, outDir: "out", denortBin: "/d", hostTarget: host });
  assertMatch(refused as string, /^error: DENORT_BIN replaces the runtime of every target/);
});

/** Whether `deno compile` already has a denort for some target in its cache. */
function denortCached(): boolean {
  const info = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .outputSync();
  const denoDir: string = JSON.parse(decoder.decode(info.stdout)).denoDir;
  const walk = (dir: string): boolean => {
    try {
      return [...Deno.readDirSync(dir)].some((entry) =>
        entry.isDirectory ? walk(`${dir}/${entry.name}`) : entry.name.startsWith("denort")
      );
    } catch {
      return false;
    }
  };
  return walk(`${denoDir}/dl`);
}

const CACHED = denortCached();
Deno.test({
  name: CACHED
    ? "deno task compile without DENORT_BIN fails with one line (skipped: a denort is cached, so nothing is downloaded)"
    : "deno task compile without DENORT_BIN fails with one line naming DENORT_BIN",
  ignore: CACHED,
  async fn() {
    const outDir = await Deno.makeTempDir({ prefix: "herd_compile_" });
    try {
      const env = Deno.env.toObject();
      delete env.DENORT_BIN;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["task", "compile", "--no-check", "--out-dir", outDir],
        cwd: ROOT,
        clearEnv: true,
        // A dead proxy makes the download fail even where the network is up.
        env: { ...env, NO_COLOR: "1", HTTPS_PROXY: "http://127.0.0.1:9", NO_PROXY: "" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = decoder.decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      // `deno task` announces the task on stderr; everything after it is ours.
      const lines = stderr.trim().split("\n").filter((line) => !line.startsWith("Task compile"));
      assertEquals(lines.length, 1, stderr);
      assertMatch(lines[0], /^error: .*DENORT_BIN/);
      assertEquals([...Deno.readDirSync(outDir)], []);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});

const SKIP_REASON = "DENORT_BIN is not set; deno compile cannot download denort here";
if (DENORT_BIN === null) {
  console.log(`compile_test: compiled binary tests skipped: ${SKIP_REASON}`);
  Deno.test({ ignore: true, name: `compiled binary (skipped: ${SKIP_REASON})`, fn() {} });
} else {
  Deno.test("compiled binary", async (t) => {
    const outDir = await Deno.makeTempDir({ prefix: "herd_binary_" });
    const cwd = await Deno.makeTempDir({ prefix: "herd_binary_cwd_" });
    try {
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["task", "compile", "--no-check", "--out-dir", outDir],
        cwd: ROOT,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(built.code, 0, decoder.decode(built.stderr));
      const herd = `${outDir}/herd`;
      const exec = (args: string[], env: Record<string, string> = {}) =>
        new Deno.Command(herd, { args, cwd, env: { NO_COLOR: "1", ...env }, stdin: "null" })
          .output();

      await t.step("--version", async () => {
        const out = await exec(["--version"]);
        assertEquals(out.code, 0);
        assertMatch(decoder.decode(out.stdout), new RegExp(VERSION.replaceAll(".", "\\.")));
      });
      await t.step("--help", async () => {
        const out = await exec(["--help"]);
        assertEquals(out.code, 0);
        assertMatch(decoder.decode(out.stdout), /herd/i);
        assertMatch(decoder.decode(out.stdout), /--workers/);
      });
      await t.step("config --json", async () => {
        const out = await exec(["config", "--json"]);
        assertEquals(out.code, 0, decoder.decode(out.stderr));
        assert("workers" in JSON.parse(decoder.decode(out.stdout)));
      });
      await t.step("check", async () => {
        const good = await exec(["check"]);
        assertEquals(good.code, 0, decoder.decode(good.stderr));
        const bad = await exec(["check"], { HERD_WORKERS: "abc" });
        assertEquals(bad.code, 2, decoder.decode(bad.stderr));
        assertMatch(decoder.decode(bad.stderr), /HERD_WORKERS/);
      });
      await t.step("serve: the workers are the binary itself", () => serveFromBinary(herd, cwd));
    } finally {
      await Deno.remove(outDir, { recursive: true });
      await Deno.remove(cwd, { recursive: true });
    }
  });
}

async function serveFromBinary(herd: string, cwd: string): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const master = new Deno.Command(herd, {
    args: ["serve", "--workers", "2", "--host", "127.0.0.1", "--port", String(port)],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new Response(master.stderr).text();
  let exited = false;
  const status = master.status.then((s) => (exited = true, s));
  try {
    const end = Date.now() + 30_000;
    let workers: number[] = [];
    while (Date.now() < end && !exited) {
      workers = childrenOf(master.pid);
      if (workers.length === 2 && await answers(`http://127.0.0.1:${port}/healthz`)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assertEquals(workers.length, 2, `workers of ${master.pid}: ${workers}`);
    const binary = Deno.realPathSync(herd);
    for (const pid of workers) assertEquals(Deno.realPathSync(`/proc/${pid}/exe`), binary);
    assert(await answers(`http://127.0.0.1:${port}/`));
  } finally {
    if (!exited) master.kill("SIGTERM");
    const timer = setTimeout(() => exited || master.kill("SIGKILL"), 15_000);
    const { code } = await status;
    clearTimeout(timer);
    assertEquals(code, 0, await log);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

// Children from /proc/<pid>/stat: the field after the parenthesised name is the state, then the ppid.
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) children.push(Number(entry.name));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}
