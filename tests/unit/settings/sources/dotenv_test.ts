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

Deno.test("scanDotenv() reads a lone CR as a line ending", () => {
  assertEquals(scanDotenv("HERD_WORKERS=3\rHERD_TIMEOUT=6\r", ".env"), {
    variables: { HERD_WORKERS: "3", HERD_TIMEOUT: "6" },
    problems: [],
    warnings: [],
  });
});

Deno.test("scanDotenv() refuses text after a closing quote, but not a comment", () => {
  const scan = scanDotenv(
    'HERD_WORKERS="3" extra\nA=\'1\' # one\nB="x\ny" tail\nC="say "hi""\n' +
      "D='value' # don't\nE='a' 'b'\n",
    ".env",
  );
  // The first quote after the opening one closes the value (a quote in a comment is the
  // comment's); quotes inside a value of the same kind are ambiguous, so refused.
  assertEquals(scan.problems, [
    '".env" line 1: text after the closing quote of "HERD_WORKERS"',
    '".env" line 4: text after the closing quote of "B"',
    '".env" line 5: text after the closing quote of "C"',
    '".env" line 7: text after the closing quote of "E"',
  ]);
  assertEquals(scan.variables, { A: "1", D: "value" });
});

Deno.test("scanDotenv() reads `export A=` as `A=`: an empty variable", () => {
  assertEquals(scanDotenv("export HERD_WORKERS=\n  export A=1\n", ".env").variables, {
    HERD_WORKERS: "",
    A: "1",
  });
});

Deno.test("scanDotenv() names a few malformed lines, then counts the rest", () => {
  const scan = scanDotenv("a\nb\nc\nd\ne\nOK=1\n", ".env");
  assertEquals(scan.problems, [
    '".env" line 1: expected KEY=VALUE',
    '".env" line 2: expected KEY=VALUE',
    '".env" line 3: expected KEY=VALUE',
    'and 2 more problems in ".env"',
  ]);
  // Four are named: a count of one would say no more than the line.
  assertEquals(scanDotenv("a\nb\nc\nd\n", ".env").problems.length, 4);
});

Deno.test("readDotenv() refuses a binary file in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new Uint8Array(3000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    await Deno.writeFile(`${dir}/.env`, bytes);
    assertEquals((await readDotenv(`${dir}/.env`, { display: ".env" })).problems, [
      'Cannot read env file ".env": not a text file',
    ]);
    await Deno.writeTextFile(`${dir}/.env`, "A=1\0\n");
    assertEquals((await readDotenv(`${dir}/.env`, { display: ".env" })).problems, [
      'Cannot read env file ".env": not a text file',
    ]);
    // Latin-1 text (an old editor's) is text: read, its odd byte replaced.
    await Deno.writeFile(
      `${dir}/.env`,
      new Uint8Array([
        ...new TextEncoder().encode("GREETING=caf"),
        0xe9,
        0x0a,
        ...new TextEncoder().encode("HERD_WORKERS=2\n"),
      ]),
    );
    const latin1 = await readDotenv(`${dir}/.env`, { display: ".env" });
    assertEquals([latin1.problems, latin1.variables.HERD_WORKERS], [[], "2"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDotenv() refuses a FIFO, but reads /dev/null as empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Reading a FIFO would wait for a writer forever.
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/.env`] }).output();
    assertEquals(made.code, 0);
    assertEquals((await readDotenv(`${dir}/.env`, { display: ".env" })).problems, [
      'Cannot read env file ".env": a FIFO (named pipe), not a regular file',
    ]);
    const none = await readDotenv("/dev/null", {
      display: "/dev/null",
      explicit: { source: "cli", flag: "--env-file" },
    });
    assertEquals([none.variables, none.problems], [{}, []]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
