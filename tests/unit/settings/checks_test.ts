/**
 * Tests for the cross-setting checks.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { checkSettings } from "../../../src/settings/checks.ts";
import { defaultSettings, type Settings } from "../../../src/settings/table.ts";
import type { Origin } from "../../../src/settings/problems.ts";

const DEFAULTS = defaultSettings("development");
const CLI: Origin = { source: "cli", flag: "--x" };

Deno.test("checkSettings() accepts the defaults", () => {
  assertEquals(checkSettings({ settings: DEFAULTS, origins: new Map(), cpuCount: 2 }), {
    problems: [],
    warnings: [],
  });
});

Deno.test("checkSettings() reports each malformed bind entry with its source", () => {
  const { problems } = checkSettings({
    settings: { ...DEFAULTS, bind: ["127.0.0.1:80", "::1:80", "unix:"] },
    origins: new Map([["bind", { source: "env", variable: "HERD_BIND" }]]),
    cpuCount: 2,
  });
  assertEquals(problems, [
    'Invalid bind "::1:80" from HERD_BIND (environment): write IPv6 addresses as [ADDRESS]:PORT',
    'Invalid bind "unix:" from HERD_BIND (environment): empty unix socket path',
  ]);
});

Deno.test("checkSettings() refuses port 0 in a bind: every worker would get its own port", () => {
  const { problems } = checkSettings({
    settings: { ...DEFAULTS, bind: ["127.0.0.1:0", "[::1]:8080"] },
    origins: new Map([["bind", CLI]]),
    cpuCount: 2,
  });
  assertEquals(problems, [
    'Invalid bind "127.0.0.1:0" from --x (command line): port 0 would give each worker its own port; use --port 0 (one free port for all)',
  ]);
});

Deno.test("checkSettings() warns when worker_connections is set for sync workers", () => {
  const settings: Settings = { ...DEFAULTS, worker_class: "sync" };
  assertEquals(checkSettings({ settings, origins: new Map(), cpuCount: 2 }).warnings, []);
  const { warnings } = checkSettings({
    settings,
    origins: new Map([["worker_connections", CLI]]),
    cpuCount: 2,
  });
  assertEquals(warnings.length, 1);
  assertEquals(warnings[0].includes("only meaningful for async/gevent workers"), true);
});

Deno.test("checkSettings() warns about more workers than 2 × CPUs + 1", () => {
  const at = (workers: number) =>
    checkSettings({ settings: { ...DEFAULTS, workers }, origins: new Map(), cpuCount: 2 }).warnings;
  assertEquals(at(5), []);
  assertEquals(at(6), [
    '"workers" is 6, more than 2 × 2 CPUs + 1 = 5: the extra workers compete for CPU',
  ]);
});

Deno.test("checkSettings() refuses a log file under /dev for workers with scoped permissions", () => {
  const settings: Settings = {
    ...DEFAULTS,
    access_log: "/dev/shm/access.log",
    error_log: "/proc/self/fd/2",
  };
  const origins = new Map([["access_log", CLI]]);
  assertEquals(checkSettings({ settings, origins, cpuCount: 2 }).problems, [
    '"access_log" is "/dev/shm/access.log" from --x (command line): Deno lets a worker open files under /dev, /proc and /sys only with every permission; log to a regular file or "-", or add "all" to "worker_permissions"',
  ]);
  const all = { ...settings, worker_permissions: ["all"] };
  assertEquals(checkSettings({ settings: all, origins, cpuCount: 2 }).problems, []);
  // A relative path counts where it resolves.
  const relative = { ...DEFAULTS, access_log: "../dev/shm/access.log" };
  assertEquals(
    checkSettings({ settings: relative, origins, cpuCount: 2, cwd: "/srv" }).problems.length,
    1,
  );
  assertEquals(
    checkSettings({ settings: relative, origins, cpuCount: 2, cwd: "/srv/app" }).problems,
    [],
  );
  // A compiled Herd's workers have every permission.
  assertEquals(checkSettings({ settings, origins, cpuCount: 2, standalone: true }).problems, []);
});

Deno.test("checkSettings() lets TLS files be anywhere: the master reads them", () => {
  const settings: Settings = {
    ...DEFAULTS,
    certfile: "/dev/shm/cert.pem",
    keyfile: "/dev/shm/k.pem",
  };
  assertEquals(checkSettings({ settings, origins: new Map(), cpuCount: 2 }).problems, []);
});

Deno.test("checkSettings() refuses metrics_bind on an address the server listens on", () => {
  const origins = new Map([["metrics_bind", CLI]]);
  const at = (overrides: Partial<Settings>) =>
    checkSettings({ settings: { ...DEFAULTS, ...overrides }, origins, cpuCount: 2 }).problems;
  assertEquals(at({ port: 9100, metrics_bind: "127.0.0.1:9100" }), [
    '"metrics_bind" is "127.0.0.1:9100" from --x (command line): the server listens there too (127.0.0.1:9100); give the metrics another port',
  ]);
  assertEquals(at({ bind: ["0.0.0.0:9100"], metrics_bind: "127.0.0.1:9100" }).length, 1);
  assertEquals(at({ port: 9100, metrics_bind: "localhost:9100" }).length, 1);
  assertEquals(at({ port: 9100, metrics_bind: "LOCALHOST:9100" }).length, 1);
  assertEquals(at({ port: 9100, metrics_bind: "127.0.0.1:9101" }), []);
  assertEquals(at({ host: "10.0.0.1", port: 9100, metrics_bind: "127.0.0.1:9100" }), []);
});

Deno.test("checkSettings() warns that worker 1 alone serves a unix: bind, and names TCP only when there is some", () => {
  const at = (bind: string[]) =>
    checkSettings({ settings: { ...DEFAULTS, bind, workers: 2 }, origins: new Map(), cpuCount: 2 })
      .warnings;
  assertEquals(at(["unix:/run/h.sock"]), [
    '"bind" has "unix:/run/h.sock": worker 1 alone serves a Unix socket (SO_REUSEPORT does not apply to them)',
  ]);
  assertEquals(
    at(["unix:/run/h.sock", "127.0.0.1:80"])[0].endsWith("every worker serves the TCP addresses"),
    true,
  );
});

Deno.test("checkSettings() warns about a bind address listed twice", () => {
  const settings: Settings = { ...DEFAULTS, bind: ["127.0.0.1:80", ":81", "127.0.0.1:80"] };
  assertEquals(checkSettings({ settings, origins: new Map(), cpuCount: 2 }).warnings, [
    '"bind" lists the address of "127.0.0.1:80" twice',
  ]);
});

Deno.test("checkSettings() counts localhost as 127.0.0.1 when a bind is listed twice", () => {
  const settings: Settings = { ...DEFAULTS, bind: ["127.0.0.1:80", "LocalHost:80"] };
  assertEquals(checkSettings({ settings, origins: new Map(), cpuCount: 2 }).warnings.length, 1);
});

Deno.test("checkSettings() refuses one path for two uses (pidfile, control socket, unix bind, a log)", () => {
  const check = (settings: Partial<Settings>) =>
    checkSettings({
      settings: { ...DEFAULTS, ...settings },
      origins: new Map([["pidfile", CLI]]),
      cpuCount: 2,
      cwd: "/srv",
    }).problems;
  assertEquals(check({ pidfile: "run/x", control_socket: "/srv/run/x" }), [
    '"control_socket" and "pidfile" from --x (command line) are the same path "/srv/run/x": give each its own',
  ]);
  assertEquals(check({ bind: ["unix:/srv/h.sock"], control_socket: "h.sock", workers: 1 }), [
    '"bind" and "control_socket" are the same path "/srv/h.sock": give each its own',
  ]);
  assertEquals(check({ pidfile: "logs/e.log", error_log: "logs/e.log" }), [
    '"error_log" and "pidfile" from --x (command line) are the same path "logs/e.log": give each its own',
  ]);
  // Both logs in one file: whole lines, appended by every process.
  assertEquals(check({ access_log: "logs/all.log", error_log: "/srv/logs/all.log" }), []);
  assertEquals(check({ pidfile: "herd.pid", control_socket: "herd.sock" }), []);
});
