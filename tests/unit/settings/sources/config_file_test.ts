/**
 * Tests for the config.ts source.
 *
 * @module
 */
import { assertEquals } from "../../../assert.ts";
import {
  importHeldBack,
  loadConfigFile,
  readConfigObject,
} from "../../../../src/settings/sources/config_file.ts";
import { descriptorShortageOf } from "../../../../src/platform/file_descriptors.ts";

const FIXTURES = new URL("../../../fixtures/configs/", import.meta.url);

Deno.test("readConfigObject() splits top-level values, profiles and envPrefix", () => {
  const hook = () => {};
  const read = readConfigObject({
    workers: 2,
    timeout: undefined,
    on_starting: hook,
    envPrefix: "APP",
    profiles: { production: { workers: 8 } },
  }, "config.ts");
  assertEquals(read.problems, []);
  assertEquals([...read.top.keys()], ["workers", "on_starting"]);
  assertEquals(read.top.get("workers")?.origin, {
    source: "config.ts",
    key: "workers",
    file: "config.ts",
  });
  assertEquals(read.envPrefix?.raw, "APP");
  assertEquals(read.profiles.production.get("workers"), {
    raw: 8,
    origin: { source: "config.ts", key: "profiles.production.workers", file: "config.ts" },
  });
  assertEquals(read.profiles.development.size, 0);
});

Deno.test("readConfigObject() rejects a default export that is not an object", () => {
  for (const exported of [undefined, "x", [1], null, () => {}]) {
    assertEquals(readConfigObject(exported, "config.ts").problems, [
      'Invalid default export of "config.ts": must be an object (use defineConfig)',
    ]);
  }
});

Deno.test("readConfigObject() reports unknown keys and profiles with suggestions", () => {
  const read = readConfigObject({
    wokers: 1,
    env_prefix: "X",
    config: "other.ts",
    profiles: { prod: {}, staging: {}, production: { timout: 1, env: "development" } },
  }, "config.ts");
  assertEquals(read.problems, [
    'Unknown key "wokers" in "config.ts": did you mean workers?',
    'Unexpected key "env_prefix" in "config.ts": use envPrefix',
    'Unexpected key "config" in "config.ts": the config file is chosen with --config or the environment',
    'Unknown profile "prod" in "config.ts": expected development or production',
    'Unknown profile "staging" in "config.ts": expected development or production',
    'Unknown key "profiles.production.timout" in "config.ts": did you mean timeout?',
    'Unexpected key "profiles.production.env" in "config.ts": it cannot vary by profile',
  ]);
});

Deno.test("loadConfigFile() imports a module and reads its default export", async () => {
  const read = await loadConfigFile(new URL("full.ts", FIXTURES).pathname, {
    display: "full.ts",
  });
  assertEquals(read.problems, []);
  assertEquals(read.top.get("workers")?.raw, 3);
  assertEquals(typeof read.top.get("on_starting")?.raw, "function");
});

Deno.test("loadConfigFile() turns a throwing module into one line", async () => {
  const read = await loadConfigFile(new URL("throws.ts", FIXTURES).pathname, {
    display: "throws.ts",
  });
  assertEquals(read.problems, ['Cannot load config file "throws.ts": Database URL missing']);
  assertEquals(read.traces.length, 1);
});

Deno.test("loadConfigFile() says where a module does not parse, and bounds a hung one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-config-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.ts`, "export default {\n  workers: 2;\n};\n");
    const bad = await loadConfigFile(`${dir}/bad.ts`, { display: "bad.ts" });
    assertEquals(bad.problems, [
      `Cannot load config file "bad.ts": SyntaxError: Expected ',', got ';' (at ${dir}/bad.ts:2:13)`,
    ]);
    await Deno.writeTextFile(
      `${dir}/hung.ts`,
      "await new Promise(() => {});\nexport default {};\n",
    );
    const hung = await loadConfigFile(`${dir}/hung.ts`, { display: "hung.ts", limitMs: 200 });
    assertEquals(hung.problems, [
      'Cannot load config file "hung.ts": not loaded within 0.2 s (a top-level await that never settles?)',
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfigFile() skips a missing default but not an explicit path", async () => {
  const missing = new URL("no_such_config.ts", FIXTURES).pathname;
  assertEquals((await loadConfigFile(missing, { display: "config.ts" })).path, null);
  const explicit = await loadConfigFile(missing, {
    display: "x.ts",
    explicit: { source: "cli", flag: "-c" },
  });
  assertEquals(explicit.problems, ['Cannot find config file "x.ts" from -c (command line)']);
});

Deno.test("loadConfigFile() re-imports an edited file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.ts`;
    await Deno.writeTextFile(path, "export default { workers: 1 };\n");
    assertEquals((await loadConfigFile(path, { display: "c" })).top.get("workers")?.raw, 1);
    await Deno.writeTextFile(path, "export default { workers: 2 };\n");
    assertEquals((await loadConfigFile(path, { display: "c" })).top.get("workers")?.raw, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readConfigObject() turns an export that throws when read into one problem", () => {
  const exported = {
    get workers(): number {
      throw new Error("no workers for you");
    },
  };
  assertEquals(readConfigObject(exported, "config.ts").problems, [
    'Cannot read the default export of "config.ts": no workers for you',
  ]);
});

Deno.test("loadConfigFile() refuses a FIFO (even through a symlink) and a directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Importing a FIFO would wait for a writer forever.
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/c.ts`] }).output();
    assertEquals(made.code, 0);
    await Deno.symlink(`${dir}/c.ts`, `${dir}/link.ts`);
    for (const name of ["c.ts", "link.ts"]) {
      const read = await loadConfigFile(`${dir}/${name}`, { display: name, limitMs: 2000 });
      assertEquals(read.problems, [
        `Cannot read config file "${name}": a FIFO (named pipe), not a regular file`,
      ]);
    }
    assertEquals((await loadConfigFile(dir, { display: dir })).problems, [
      `Cannot read config file "${dir}": a directory, not a regular file`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfigFile() names the file without the query that re-imports it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/dep.ts`, "export const y = 1;\n");
    await Deno.writeTextFile(
      `${dir}/c.ts`,
      'import { nope } from "./dep.ts";\nexport default { workers: nope };\n',
    );
    const read = await loadConfigFile(`${dir}/c.ts`, { display: "c.ts" });
    assertEquals(read.problems, [
      `Cannot load config file "c.ts": The requested module './dep.ts' does not provide an export named 'nope' at file://${dir}/c.ts:1:10`,
    ]);
    assertEquals(read.traces.some((trace) => trace.includes("?load=")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importHeldBack: the system's file table full (ENFILE) is said to be the system's, with its remedy", () => {
  // An open of /dev/null that found the system's table full, as fileDescriptorShortage sees it.
  const full = new Error("Too many open files in system (os error 23): open '/dev/null'");
  assertEquals(
    importHeldBack("config.ts", descriptorShortageOf(full)!, "the master"),
    "the system is out of file descriptors (Too many open files in system): importing " +
      '"config.ts" could crash the master (Deno panics importing a module with no descriptor ' +
      "left; raise the system's limit: sysctl fs.file-max)",
  );
});
