/**
 * Tests for the `.env` source: the dotenv forms people write, and the
 * problems for lines it cannot read.
 *
 * @module
 */
import { assertEquals } from "../../../assert.ts";
import { readDotenv, scanDotenv } from "../../../../src/settings/sources/dotenv.ts";

const FIXTURES = new URL("../../../fixtures/envs/", import.meta.url);

Deno.test("scanDotenv() handles quotes, export, comments and empty values", async () => {
  const text = await Deno.readTextFile(new URL("edge_cases.env", FIXTURES));
  assertEquals(scanDotenv(text, ".env"), {
    variables: {
      HERD_TIMEOUT: "12",
      HERD_GRACEFUL_TIMEOUT: "7",
      HERD_ACCESS_LOG_FORMAT: "%(h)s # not a comment",
      HERD_PIDFILE: "",
      HERD_MAX_REQUESTS: "42",
      UNRELATED: "a b c",
    },
    problems: [],
    warnings: [],
  });
});

Deno.test("scanDotenv() reads CRLF line endings", () => {
  const scan = scanDotenv('A=1\r\nexport B="two words"\r\n# c\r\nC=\r\n', ".env");
  assertEquals(scan, { variables: { A: "1", B: "two words", C: "" }, problems: [], warnings: [] });
});

Deno.test("scanDotenv() accepts a quoted value spanning lines", () => {
  const scan = scanDotenv('A="one\ntwo"\nB=3\n', ".env");
  assertEquals(scan, { variables: { A: "one\ntwo", B: "3" }, problems: [], warnings: [] });
});

Deno.test("scanDotenv() reports each malformed line with its number", () => {
  const scan = scanDotenv("A=1\nnot a pair\n1X=3\nB='open\n", "conf/.env");
  assertEquals(scan.problems, [
    '"conf/.env" line 2: expected KEY=VALUE',
    '"conf/.env" line 3: invalid variable name "1X"',
    '"conf/.env" line 4: unterminated quoted value of "B"',
  ]);
  // The open value is the file's problem only: not judged again as a setting's value.
  assertEquals(scan.variables.B, undefined);
});

Deno.test("readDotenv() skips a missing default file but not an explicit one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/.env`;
    assertEquals(await readDotenv(missing, { display: ".env" }), {
      path: null,
      variables: {},
      problems: [],
      warnings: [],
    });
    const explicit = await readDotenv(missing, {
      display: ".env",
      explicit: { source: "cli", flag: "--env-file" },
    });
    assertEquals(explicit.problems, [
      'Cannot find env file ".env" from --env-file (command line)',
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDotenv() names an unreadable file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A directory cannot be read as text, even by root.
    await Deno.mkdir(`${dir}/.env`);
    const read = await readDotenv(`${dir}/.env`, { display: ".env" });
    assertEquals(read.path, null);
    assertEquals(read.problems.length, 1);
    assertEquals(read.problems[0].startsWith('Cannot read env file ".env": '), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scanDotenv() reads past a byte-order mark", () => {
  assertEquals(scanDotenv("\uFEFFHERD_WORKERS=3\n", ".env"), {
    variables: { HERD_WORKERS: "3" },
    problems: [],
    warnings: [],
  });
});

Deno.test("scanDotenv() warns of a key set twice: the last value is used", () => {
  const scan = scanDotenv("HERD_WORKERS=2\nHERD_TIMEOUT=5\n\nHERD_WORKERS=8\n", ".env");
  assertEquals(scan.variables.HERD_WORKERS, "8");
  assertEquals(scan.warnings, [
    '".env" line 4: "HERD_WORKERS" again (first on line 1); the last value is used',
  ]);
});
