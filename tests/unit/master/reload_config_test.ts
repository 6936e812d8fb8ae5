/**
 * A reload's reading of the configuration while the master is out of file
 * descriptors: refused only when a config.ts would be imported (Deno panics
 * importing a module with none left), read otherwise. Run in a child whose
 * limit `prlimit` lowers (this test's own could not be raised back), its
 * table filled.
 *
 * @module
 */
import { assertEquals, assertMatch } from "../../assert.ts";
import { evalWithFileLimit, HAVE_PRLIMIT } from "../../file_limit.ts";

const STARTUP = new URL("../../../src/master/startup.ts", import.meta.url).href;
const APP = new URL("../../fixtures/apps/hello.ts", import.meta.url).pathname;

/** What each reload answered, in the directories named (made before the table is filled). */
type Answer = { ok: true; workers: number } | { ok: false; problems: string[] } | {
  ok: false;
  refused: string;
};

Deno.test({
  name:
    "reloadConfig: out of file descriptors, only a config.ts to import refuses; .env alone fails as any read",
  ignore: !HAVE_PRLIMIT,
  async fn() {
    const script = `
      import { reloadConfig } from "${STARTUP}";
      const dir = (files) => {
        const path = Deno.makeTempDirSync({ prefix: "herd-reload-" });
        for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(path + "/" + name, text);
        return path;
      };
      const dirs = [
        dir({}),
        dir({ ".env": "HERD_TIMEOUT=5\\n" }),
        dir({ "config.ts": "export default { workers: 1 };\\n" }),
      ];
      const held = [];
      try { for (;;) held.push(Deno.openSync("/dev/null")); } catch { /* full */ }
      const answers = [];
      for (const path of dirs) {
        Deno.chdir(path);
        const next = await reloadConfig(["${APP}", "-w", "1"]);
        answers.push(next.ok ? { ok: true, workers: next.workers } : next);
      }
      for (const file of held) file.close();
      for (const path of dirs) Deno.removeSync(path, { recursive: true });
      console.log(JSON.stringify(answers));
    `;
    const [bare, dotenv, config] = await evalWithFileLimit(64, script) as Answer[];
    // Flags and the environment alone: nothing to import, nothing to open.
    assertEquals(bare, { ok: true, workers: 1 });
    // The .env file cannot be read: the ordinary failure, naming it.
    assertEquals(dotenv.ok, false);
    assertEquals("problems" in dotenv ? dotenv.problems.length : 0, 1, JSON.stringify(dotenv));
    assertMatch(
      "problems" in dotenv ? dotenv.problems[0] : "",
      /^Cannot read env file "\.env": Too many open files/,
    );
    assertEquals(
      config,
      {
        ok: false,
        refused: "the master has fewer than 8 file descriptors free (Too many open files): " +
          'importing "config.ts" could crash it (Deno panics importing a module with no ' +
          "descriptor left; raise the open-files limit: LimitNOFILE, ulimit -n)",
      },
    );
  },
});

Deno.test({
  name:
    'reloadConfig: out of file descriptors, "workers" auto is postponed on the cgroup quota it cannot read, not taken for none',
  ignore: !HAVE_PRLIMIT,
  async fn() {
    // Read as absent, the quota of a container would give way to a worker per CPU of the host.
    const script = `
      import { reloadConfig } from "${STARTUP}";
      Deno.chdir(Deno.makeTempDirSync({ prefix: "herd-reload-" }));
      const held = [];
      try { for (;;) held.push(Deno.openSync("/dev/null")); } catch { /* full */ }
      const next = await reloadConfig(["${APP}"]);
      for (const file of held) file.close();
      Deno.removeSync(Deno.cwd());
      console.log(JSON.stringify(next.ok ? { ok: true, workers: next.workers } : next));
    `;
    const answer = await evalWithFileLimit(64, script) as Answer;
    assertEquals(answer.ok, false, JSON.stringify(answer));
    assertEquals(
      "refused" in answer ? answer.refused : JSON.stringify(answer),
      'the master is out of file descriptors (Too many open files): cannot read the cgroup CPU quota for "workers" auto',
    );
  },
});
