import { assertEquals } from "../../assert.ts";
import { isIgnored, reloadWatchPlan } from "../../../src/master/file_watch.ts";

const SETTINGS = { app: "src/app.ts", reload_extra_files: [], access_log: "-", error_log: "-" };

Deno.test("reloadWatchPlan watches the app's directory, config.ts and the extra files", () => {
  const plan = reloadWatchPlan(
    { ...SETTINGS, reload_extra_files: ["templates", "/etc/app.toml"], access_log: "logs/a.log" },
    { cwd: "/srv", configPath: "/srv/config.ts" },
  );
  assertEquals(plan, {
    roots: ["/srv/src", "/srv/config.ts", "/srv/templates", "/etc/app.toml"],
    ignoredTrees: ["/srv/src/logs"],
    ignoredFiles: ["/srv/logs/a.log"],
    anyFile: ["/srv/config.ts", "/srv/templates", "/etc/app.toml"],
  });
});

Deno.test("reloadWatchPlan watches the app's project, which holds the app's directory", () => {
  // src/app.ts imports ../lib/: a change there, or to deno.json, reloads too.
  const plan = reloadWatchPlan(SETTINGS, { cwd: "/srv", configPath: null, projectDir: "/srv" });
  assertEquals(plan.roots, ["/srv"]);
  assertEquals(plan.ignoredTrees, ["/srv/src/logs", "/srv/logs"]);
  assertEquals(isIgnored("/srv/lib/greet.ts", plan), false);
  assertEquals(isIgnored("/srv/deno.json", plan), false);
  // Deno writes the lockfile as a worker starts: never a reason to reload.
  assertEquals(isIgnored("/srv/deno.lock", plan), true);
  assertEquals(isIgnored("/srv/logs/app.ts", plan), true);
});

Deno.test("reloadWatchPlan drops roots inside another root and watches nothing without an app", () => {
  const inside = reloadWatchPlan(SETTINGS, { cwd: "/srv", configPath: "/srv/src/config.ts" });
  assertEquals(inside.roots, ["/srv/src"]);
  const none = reloadWatchPlan({ ...SETTINGS, app: null }, { cwd: "/srv", configPath: null });
  assertEquals(none.roots, []);
});

Deno.test("isIgnored: only source files of the app's tree, never .git, node_modules or logs", () => {
  const plan = reloadWatchPlan(
    { ...SETTINGS, reload_extra_files: ["/srv/src/templates"], error_log: "/srv/src/err.ts" },
    { cwd: "/srv", configPath: null },
  );
  const table: [string, boolean][] = [
    ["/srv/src/app.ts", false],
    ["/srv/src/routes/users.tsx", false],
    ["/srv/src/deno.json", false],
    ["/srv/src/.env", false],
    ["/srv/src/templates/page.html", false], // an extra root: any file
    ["/srv/src/out.txt", true], // not source: a shell redirect must not loop the reload
    ["/srv/src/.git/HEAD", true],
    ["/srv/src/node_modules/dep/index.js", true],
    ["/srv/src/logs/today.ts", true],
    ["/srv/src/err.ts", true], // a log file, whatever its name
    ["/srv/src/.app.ts.swp", true],
    ["/srv/src/app.ts~", true],
    ["/srv/src/4913", true],
  ];
  for (const [path, ignored] of table) assertEquals(isIgnored(path, plan), ignored, path);
});
