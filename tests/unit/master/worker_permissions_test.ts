/**
 * Unit tests of the workers' narrowed Deno permissions.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import {
  type PermissionSettings,
  workerPermissions,
} from "../../../src/master/worker_permissions.ts";

const SETTINGS: PermissionSettings = {
  app: "site/app.ts",
  bind: [],
  host: "127.0.0.1",
  port: 8080,
  error_log: "-",
  access_log: "logs/access.log",
  env_prefix: "HERD",
  worker_permissions: [],
};
const FACTS = {
  herdRoot: "/opt/herd",
  cwd: "/srv",
  control: "/tmp/herd-0/c.sock",
  configPath: "/srv/config.ts",
};

Deno.test("workerPermissions: net on the binds, read on the app, write on the logs", () => {
  assertEquals(workerPermissions(SETTINGS, FACTS), [
    "--allow-net=127.0.0.1:8080,unix:/tmp/herd-0/c.sock",
    "--allow-read=/opt/herd,/srv/site,/srv,/tmp/herd-0/c.sock,/dev/stdin,/srv/logs",
    "--allow-write=/tmp/herd-0/c.sock,/srv/logs/access.log",
    "--allow-env=_HERD_WORKER,_HERD_PROBE,HERD_*,OTEL_*,NO_COLOR,TERM",
  ]);
});

Deno.test("workerPermissions: read on the app's project, where its deno.json is", () => {
  const flags = workerPermissions(
    { ...SETTINGS, app: "/home/ana/shop/src/app.ts", access_log: "-" },
    { ...FACTS, configPath: null, projectDir: "/home/ana/shop" },
  );
  assertEquals(
    flags[1],
    "--allow-read=/opt/herd,/home/ana/shop/src,/home/ana/shop,/tmp/herd-0/c.sock,/dev/stdin",
  );
});

Deno.test("workerPermissions: IPv6 binds are bracketed", () => {
  const flags = workerPermissions({ ...SETTINGS, bind: ["[::1]:9000"] }, FACTS);
  assertEquals(flags[0], "--allow-net=[::1]:9000,unix:/tmp/herd-0/c.sock");
});

Deno.test("workerPermissions: extras merge into their kind; unscoped ones replace it", () => {
  const flags = workerPermissions(
    {
      ...SETTINGS,
      worker_permissions: ["--allow-net=api.example.com,db:5432", "--allow-env", "--allow-sys"],
    },
    FACTS,
  );
  assertEquals(
    flags[0],
    "--allow-net=127.0.0.1:8080,unix:/tmp/herd-0/c.sock,api.example.com,db:5432",
  );
  assertEquals(flags.includes("--allow-env"), true);
  assertEquals(flags.includes("--allow-sys"), true);
  assertEquals(flags.some((f) => f.startsWith("--allow-env=")), false);
});

Deno.test("workerPermissions: all (or --allow-all) is -A; a unix bind and its staging name", () => {
  assertEquals(workerPermissions({ ...SETTINGS, worker_permissions: ["all"] }, FACTS), ["-A"]);
  assertEquals(workerPermissions({ ...SETTINGS, worker_permissions: ["--allow-all"] }, FACTS), [
    "-A",
  ]);
  const flags = workerPermissions({ ...SETTINGS, bind: ["unix:/run/herd/web.sock"] }, FACTS);
  assertEquals(
    flags[0],
    "--allow-net=unix:/run/herd/web.sock,unix:/run/herd/web.sock.new,unix:/tmp/herd-0/c.sock",
  );
});

Deno.test("workerPermissions: no FFI unless worker_permissions declares it", () => {
  assertEquals(workerPermissions(SETTINGS, FACTS).some((f) => f.startsWith("--allow-ffi")), false);
  const declared = workerPermissions({ ...SETTINGS, worker_permissions: ["--allow-ffi"] }, FACTS);
  assertEquals(declared.includes("--allow-ffi"), true, declared.join(" "));
});

Deno.test("workerPermissions: a log on a standard stream needs no file permission", () => {
  const streams = { ...SETTINGS, error_log: "/dev/stderr", access_log: "/dev/stdout" };
  assertEquals(workerPermissions(streams, FACTS), [
    "--allow-net=127.0.0.1:8080,unix:/tmp/herd-0/c.sock",
    "--allow-read=/opt/herd,/srv/site,/srv,/tmp/herd-0/c.sock,/dev/stdin",
    "--allow-write=/tmp/herd-0/c.sock",
    "--allow-env=_HERD_WORKER,_HERD_PROBE,HERD_*,OTEL_*,NO_COLOR,TERM",
  ]);
});
