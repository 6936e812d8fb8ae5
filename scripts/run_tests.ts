/**
 * `deno task test`: runs `deno test` with `TMPDIR` pointing at a directory
 * of its own, and removes that directory when the run ends, however it ends.
 *
 * The integration tests make real files: a working directory per Herd they
 * start, config.ts files, logs, sockets (about two hundred directories a
 * run). Tracking each in each test would be easy to forget once; a run's own
 * temporary directory leaves nothing behind even when a test fails halfway
 * or the run is interrupted (a stop is passed on to `deno test`; this waits
 * for it, then cleans up). Herd's own default control-socket directory is under
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

const args = Deno.args.some((arg) => !arg.startsWith("-")) ? Deno.args : [...Deno.args, "tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--no-check=remote", ...args],
  cwd: root,
  env: { TMPDIR: tmp },
}).spawn();

// A stop is passed on (Ctrl-C reaches deno test already; once more does no harm), and this
// process stays to remove the directory once deno test has ended.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    try {
      child.kill(signal);
    } catch {
      // It has ended.
    }
  });
}

const status = await child.status;
await Deno.remove(tmp, { recursive: true }).catch((error) => {
  console.error(`Could not remove the tests' temporary directory ${tmp}: ${error}`);
});
Deno.exit(status.signal === null ? status.code : 128 + signalNumber(status.signal));

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<Deno.Signal, number>>)[signal] ??
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
