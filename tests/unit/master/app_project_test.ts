import { assertEquals } from "../../assert.ts";
import { appProject } from "../../../src/master/app_project.ts";

function project(files: string[], app: string | null, cwd = "/srv") {
  const present = new Set(files);
  return appProject(app, { cwd, isFile: (path) => present.has(path) });
}

Deno.test("appProject: the deno.json nearest the app, looking up from its directory", () => {
  const files = ["/srv/site/deno.json", "/srv/deno.json"];
  assertEquals(project(files, "/srv/site/src/app.ts").configFile, "/srv/site/deno.json");
  assertEquals(project(files, "/srv/site/src/app.ts").flags, ["--config", "/srv/site/deno.json"]);
  assertEquals(project(files, "/srv/other/app.ts").flags, ["--config", "/srv/deno.json"]);
  // Relative to the master's working directory, as the app setting is.
  assertEquals(project(files, "site/app.ts").flags, ["--config", "/srv/site/deno.json"]);
  assertEquals(project(files, "file:///srv/site/my%20app.ts").flags, [
    "--config",
    "/srv/site/deno.json",
  ]);
});

Deno.test("appProject: deno.json before deno.jsonc in one directory, as Deno prefers", () => {
  assertEquals(project(["/a/deno.jsonc"], "/a/app.ts").flags, ["--config", "/a/deno.jsonc"]);
  assertEquals(project(["/a/deno.jsonc", "/a/deno.json"], "/a/app.ts").flags, [
    "--config",
    "/a/deno.json",
  ]);
});

Deno.test("appProject: no deno.json up to / is --no-config, not Herd's own", () => {
  assertEquals(project([], "/tmp/hello.ts"), {
    flags: ["--no-config"],
    configFile: null,
    packageJsonOnly: null,
  });
});

Deno.test("appProject: the embedded default app keeps Herd's configuration", () => {
  assertEquals(project(["/srv/deno.json"], null), {
    flags: [],
    configFile: null,
    packageJsonOnly: null,
  });
});

Deno.test("appProject: a remote app takes the working directory's project, as Deno does", () => {
  assertEquals(project(["/srv/deno.json"], "https://example.com/app.ts", "/srv/x").flags, [
    "--config",
    "/srv/deno.json",
  ]);
});

Deno.test("appProject: a package.json with no deno.json beside it is reported", () => {
  assertEquals(project(["/p/package.json"], "/p/src/app.ts"), {
    flags: ["--no-config"],
    configFile: null,
    packageJsonOnly: "/p",
  });
  assertEquals(project(["/p/package.json", "/p/deno.json"], "/p/app.ts").packageJsonOnly, null);
});
