/**
 * `deno task test`: runs `deno test` with `TMPDIR` pointing at a directory
 * of its own, and removes that directory when the run ends, however it ends.
 *
 * The integration tests make real files: a working directory per Herd they
 * start, config.ts files, logs, sockets (about two hundred directories a
 * run). Tracking each in each test would be easy to forget once; a run's own
 * temporary directory leaves nothing behind even when a test fails halfway
 * or the run is interrupted (a stop is passed on to `deno test`; this waits
 * for it, stops what its tests left running, then cleans up). Herd's own default control-socket directory is under
 * `/tmp` or `XDG_RUNTIME_DIR`, never `TMPDIR`, so tests of it are unaffected.
 *
 * The directory is world-traversable (1777, like `/tmp`), because some tests
 * run Herd as another user. Its name is short (`/tmp/ht` and four hex
 * digits): a Unix socket's path holds at most 107 bytes, and the tests of
 * that limit's edges nest a few temporary directories.
 *
 * ```sh
 * deno task test                                   # every test under tests/
 * deno task test tests/unit/settings/              # some of them
 * deno task test --filter "keep-alive" tests/      # deno test's own flags pass through
 * ```
 *
 * @module
 */

const root = new URL("..", import.meta.url).pathname;
const tmp = await shortTempDir();

// A path among the arguments chooses the tests; otherwise all of them (`--filter X` takes a value).
const args = Deno.args.some(isPath) ? Deno.args : [...Deno.args, "tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--no-check=remote", ...args],
  cwd: root,
  env: { TMPDIR: tmp },
}).spawn();

// A stop is passed on (Ctrl-C reaches deno test already; once more does no harm), and this
// process stays to remove the directory once deno test has ended.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  Deno.addSignalListener(signal, () => {
    try {
      child.kill(signal);
    } catch {
      // It has ended.
    }
  });
}

const status = await child.status;
// A deno test stopped by a signal runs no test's cleanup: the servers its tests started would
// live on (a HUP, which the terminal sends them too, only reloads a Herd master).
const left = stopProcessesIn(tmp);
if (left > 0) console.error(`Stopped ${left} process(es) the tests left running`);
await Deno.remove(tmp, { recursive: true }).catch((error) => {
  console.error(`Could not remove the tests' temporary directory ${tmp}: ${error}`);
});
Deno.exit(status.signal === null ? status.code : 128 + signalNumber(status.signal));

/** SIGKILLs every process whose working directory is under `dir` (Linux); how many. */
function stopProcessesIn(dir: string): number {
  let stopped = 0;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const cwd = Deno.readLinkSync(`/proc/${entry.name}/cwd`);
        if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
        Deno.kill(Number(entry.name), "SIGKILL");
        stopped++;
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
  } catch {
    // No /proc: nothing to look through.
  }
  return stopped;
}

function isPath(arg: string): boolean {
  if (arg.startsWith("-")) return false;
  try {
    Deno.statSync(new URL(arg, `file://${root}`));
    return true;
  } catch {
    return false;
  }
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<
    Record<Deno.Signal, number>
  >)[signal] ??
    1;
}

/** `/tmp/htXXXX`, made new (mode 1777). */
async function shortTempDir(): Promise<string> {
  for (;;) {
    const name = `/tmp/ht${
      crypto.getRandomValues(new Uint16Array(1))[0].toString(16).padStart(4, "0")
    }`;
    try {
      await Deno.mkdir(name);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    await Deno.chmod(name, 0o1777);
    return name;
  }
}
