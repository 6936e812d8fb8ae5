/**
 * Development auto-reload (`--reload`): an edit to the app is served within
 * seconds by new workers; an edit that breaks the import keeps the old
 * workers serving and is reported once; fixing it reloads again. Changes
 * under `logs/` and `node_modules` do not reload.
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";
import { type Herd, startHerd } from "./_harness.ts";

function appSource(body: string): string {
  return `export default {\n  fetch: () => new Response(${JSON.stringify(body)}),\n};\n`;
}

/** Waits until every pid in `old` has exited (draining workers still answer for a moment). */
async function waitGone(herd: Herd, old: number[]): Promise<void> {
  for (const pid of old) {
    await herd.waitForLog(new RegExp(`\\(pid: ${pid}\\) exited`), { timeoutMs: 10_000 });
  }
}

/** GET / on a fresh connection each time, so a pooled one cannot reach an old worker. */
async function bodyOf(url: string): Promise<string> {
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    return await fetch(url, { client }).then((r) => r.text());
  } finally {
    client.close();
  }
}

Deno.test("auto-reload: edit, break and fix the app while it is served", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-app-" });
  const app = `${dir}/app.ts`;
  await Deno.writeTextFile(app, appSource("v1"));
  await using herd = await startHerd({ args: [app, "-w", "2", "--reload"] });
  await herd.waitForLog(/Reload on change: watching/);
  const body = () => bodyOf(herd.url);
  assertEquals(await body(), "v1");

  // An edit: new workers serve the new body.
  const first = herd.workerPids();
  let from = herd.lines.length;
  await Deno.writeTextFile(app, appSource("v2"));
  await herd.waitForLog(/Changed: ".*app\.ts"/, { from, timeoutMs: 5000 });
  await herd.waitForLog(/Reload complete/, { from, timeoutMs: 10_000 });
  await waitGone(herd, first);
  assertEquals(await body(), "v2");
  const second = herd.workerPids();
  assertEquals(second.filter((pid) => first.includes(pid)), [], "every worker was replaced");

  // A syntax error: the old workers keep serving, and the error shows once.
  from = herd.lines.length;
  await Deno.writeTextFile(app, "export default {\n  fetch: () => new Response(\n");
  await herd.waitForLog(/Reload abandoned: /, { from, timeoutMs: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 1500)); // time for a loop to show
  assertEquals(await body(), "v2");
  assertEquals(herd.workerPids(), second);
  const abandoned = herd.lines.slice(from).filter((l) => /Reload abandoned: /.test(l));
  assertEquals(abandoned.length, 1, herd.lines.slice(from).join("\n"));
  const booted = herd.lines.slice(from).filter((l) => /Booting worker/.test(l));
  assertEquals(booted.length, 1, "one worker tried the broken app, once");

  // The fix: reloads again.
  from = herd.lines.length;
  await Deno.writeTextFile(app, appSource("v3"));
  await herd.waitForLog(/Reload complete/, { from, timeoutMs: 10_000 });
  await waitGone(herd, second);
  assertEquals(await body(), "v3");
});

Deno.test("auto-reload: logs/ and node_modules/ changes do not reload", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-ignore-" });
  const app = `${dir}/app.ts`;
  await Deno.writeTextFile(app, appSource("same"));
  await Deno.mkdir(`${dir}/logs`);
  await Deno.mkdir(`${dir}/node_modules/dep`, { recursive: true });
  await using herd = await startHerd({ args: [app, "-w", "1", "--reload"] });
  await herd.waitForLog(/Reload on change: watching/);
  const from = herd.lines.length;
  await Deno.writeTextFile(`${dir}/logs/app.log`, "a line\n");
  await Deno.writeTextFile(`${dir}/node_modules/dep/index.js`, "export {};\n");
  await new Promise((resolve) => setTimeout(resolve, 800)); // > the 200 ms debounce
  assertEquals(herd.lines.slice(from).filter((l) => /Changed: |Reloading/.test(l)), []);
  // The watcher is alive: a real change still reloads.
  await Deno.writeTextFile(`${dir}/helper.ts`, "export const x = 1;\n");
  await herd.waitForLog(/Changed: ".*helper\.ts"/, { from, timeoutMs: 5000 });
});

Deno.test("auto-reload: an edit anywhere in the app's project reloads, not in its directory alone", async () => {
  // src/app.ts imports ../lib/, as a project's modules do; Deno's lockfile is written at each
  // worker's start and must not reload (nor loop).
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-project-" });
  await Deno.mkdir(`${dir}/src`);
  await Deno.mkdir(`${dir}/lib`);
  await Deno.writeTextFile(`${dir}/deno.json`, "{}\n");
  await Deno.writeTextFile(`${dir}/lib/body.ts`, 'export const body = "v1";\n');
  await Deno.writeTextFile(
    `${dir}/src/app.ts`,
    'import { body } from "../lib/body.ts";\nexport default { fetch: () => new Response(body) };\n',
  );
  await using herd = await startHerd({ args: [`${dir}/src/app.ts`, "-w", "1", "--reload"] });
  await herd.waitForLog(new RegExp(`Reload on change: watching "${dir}"$`));
  assertEquals(await bodyOf(herd.url), "v1");
  const first = herd.workerPids();
  const from = herd.lines.length;
  await Deno.writeTextFile(`${dir}/lib/body.ts`, 'export const body = "v2";\n');
  await herd.waitForLog(/Changed: ".*lib\/body\.ts"/, { from, timeoutMs: 5000 });
  await herd.waitForLog(/Reload complete/, { from, timeoutMs: 10_000 });
  await waitGone(herd, first);
  assertEquals(await bodyOf(herd.url), "v2");
  await Deno.writeTextFile(`${dir}/deno.lock`, '{ "version": "5" }\n');
  await new Promise((resolve) => setTimeout(resolve, 800)); // > the 200 ms debounce
  const reloads = herd.lines.slice(from).filter((l) => /Reloading/.test(l));
  assertEquals(reloads.length, 1, herd.lines.slice(from).join("\n"));
});

Deno.test("auto-reload: off by default", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-off-" });
  const app = `${dir}/app.ts`;
  await Deno.writeTextFile(app, appSource("v1"));
  await using herd = await startHerd({ args: [app, "-w", "1"] });
  assert(!herd.lines.some((l) => /Reload on change/.test(l)), "no watcher");
  await Deno.writeTextFile(app, appSource("v2"));
  await new Promise((resolve) => setTimeout(resolve, 600));
  assertEquals(await bodyOf(herd.url), "v1");
});

Deno.test("auto-reload: a reload that adds reload_extra_files watches them from then on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-extra-" });
  const extra = await Deno.makeTempDir({ prefix: "herd-reload-extra-dir-" });
  await Deno.mkdir(`${dir}/app`);
  await Deno.writeTextFile(`${dir}/app/app.ts`, appSource("v1"));
  const config = `${dir}/config.ts`;
  await Deno.writeTextFile(config, "export default { reload: true };\n");
  await using herd = await startHerd({ args: [`${dir}/app/app.ts`, "-w", "1", "-c", config] });
  await herd.waitForLog(/Reload on change: watching/);
  let from = herd.lines.length;
  await Deno.writeTextFile(
    config,
    `export default { reload: true, reload_extra_files: [${JSON.stringify(extra)}] };\n`,
  );
  await herd.waitForLog(/Reload complete/, { from, timeoutMs: 10_000 });
  await herd.waitForLog(new RegExp(`Reload on change: watching .*${extra}`), { from });
  from = herd.lines.length;
  await Deno.writeTextFile(`${extra}/templates.html`, "<p>new</p>\n");
  await herd.waitForLog(/Changed: ".*templates\.html"/, { from, timeoutMs: 5000 });
});

Deno.test("auto-reload: a reload_extra_files path created later is watched from the next HUP", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-reload-later-" });
  const later = `${await Deno.makeTempDir({ prefix: "herd-reload-later-dir-" })}/templates`;
  await Deno.writeTextFile(`${dir}/app.ts`, appSource("v1"));
  await using herd = await startHerd({
    args: [`${dir}/app.ts`, "-w", "1", "--reload", "--reload-extra-files", later],
  });
  await herd.waitForLog(/"reload_extra_files" .* which does not exist/);
  await Deno.mkdir(later);
  let from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(/Reload complete/, { from, timeoutMs: 10_000 });
  from = herd.lines.length;
  await Deno.writeTextFile(`${later}/page.html`, "<p>new</p>\n");
  await herd.waitForLog(/Changed: ".*page\.html"/, { from, timeoutMs: 5000 });
});
