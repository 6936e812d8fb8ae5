/**
 * The Deno permissions of a worker in script mode: the narrowest set that
 * serves the app, plus whatever `worker_permissions` adds. Pure: paths and
 * the port come in as data.
 *
 * | permission | on |
 * |---|---|
 * | net | each bind (`host:port`; `unix:PATH` and its staging name) and the control socket |
 * | read | Herd's source, the app's directory (a `serve()` program's) and its project's (where its `deno.json` is), config.ts, TLS files, log directories, `/dev/stdin`, the sockets |
 * | write | the log files, the sockets |
 * | env | `_HERD_WORKER`, `_HERD_PROBE`, `<PREFIX>_*`, `OTEL_*`, `NO_COLOR`, `TERM` |
 *
 * This protects against the app's bugs (a path traversal, an SSRF, a leaked
 * variable) and confines what code running in the app can reach. What the
 * worker's entry point imports statically needs no permission; what it
 * imports dynamically does, with every local module that import reaches:
 * the app and the modules of its project, config.ts and its hooks, Herd's
 * own lazy modules.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./worker_permissions.ts";
 * workerPermissions(
 *   { app: "app.ts", bind: [], host: "127.0.0.1", port: 8080, error_log: "-", access_log: "-",
 *     env_prefix: "HERD", worker_permissions: [] },
 *   { herdRoot: "/opt/herd", cwd: "/srv/site", control: "/tmp/herd-0/c.sock", configPath: null },
 * );
 * // ["--allow-net=127.0.0.1:8080", "--allow-read=/opt/herd,/srv/site,...", ...]
 * ```
 *
 * @module
 */
import { PROBE_ENV, UNIX_STAGING_SUFFIX, WORKER_ENV } from "../ipc/protocol.ts";
import { dirname, resolve } from "node:path";
import { logFile } from "../logging/line_writer.ts";
import { listenAddresses } from "../settings/addresses.ts";
import { grantsAll } from "../settings/sections/server.ts";
import type { DataSettings } from "../settings/table.ts";

/** The settings {@linkcode workerPermissions} reads. */
export type PermissionSettings = Pick<
  DataSettings,
  | "app"
  | "bind"
  | "host"
  | "port"
  | "error_log"
  | "access_log"
  | "env_prefix"
  | "worker_permissions"
>;

/** Facts about this run that are not settings. */
export interface PermissionFacts {
  /** Herd's source root when it runs from local files, else null (remote modules need no read). */
  herdRoot: string | null;
  /** The master's working directory, against which relative paths resolve. */
  cwd: string;
  /** The control socket path. */
  control: string;
  /** Absolute path of the config.ts workers import for their hooks, or null (see `workerConfigPath`). */
  configPath: string | null;
  /**
   * Absolute path of the program that calls `serve()`, whose workers run it again: its
   * directory is read as an app's is. Null for Herd's own `main.ts`. @default {null}
   */
  program?: string | null;
  /**
   * The directory of the `deno.json` the app (or program) runs with, when it has one: its
   * modules import each other across the project (`src/app.ts` from `../lib/`), and an
   * import the app makes is read with the worker's permissions. @default {null}
   */
  projectDir?: string | null;
}

const ALL = ["-A"];

/**
 * The permission flags for `deno run`, deduplicated and grouped by kind.
 * `all` (or `--allow-all`) in `worker_permissions` gives `-A`; an unscoped
 * extra flag (`--allow-net`) replaces the scoped defaults of its kind,
 * because Deno lets a later scoped flag narrow an earlier unscoped one.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./worker_permissions.ts";
 * const flags = workerPermissions(
 *   { app: null, bind: [], host: "0.0.0.0", port: 80, error_log: "-", access_log: "-",
 *     env_prefix: "HERD", worker_permissions: ["all"] },
 *   { herdRoot: null, cwd: "/", control: "/run/herd/c.sock", configPath: null },
 * );
 * // ["-A"]
 * ```
 */
export function workerPermissions(
  settings: PermissionSettings,
  facts: PermissionFacts,
): string[] {
  const extra = settings.worker_permissions;
  if (grantsAll(extra)) return [...ALL];
  const scopes = new Map<string, Set<string> | null>();
  const grant = (kind: string, ...values: string[]) => {
    if (!scopes.has(kind)) scopes.set(kind, new Set());
    const set = scopes.get(kind);
    for (const value of values) set?.add(value);
  };
  const path = (p: string) => resolve(facts.cwd, p);
  // A unix socket needs all three: net on `unix:PATH`, read and write on PATH.
  // Deno scopes `unix:` to exact paths, so a bind's staging name is listed too.
  const grantUnix = (...sockets: string[]) => {
    for (const socket of sockets) {
      grant("net", `unix:${socket}`);
      grant("read", socket);
      grant("write", socket);
    }
  };

  const port = settings.port;
  for (const address of listenAddresses({ ...settings, port })) {
    if (address.transport === "tcp") grant("net", netScope(address.hostname, address.port));
    else grantUnix(path(address.path), path(address.path) + UNIX_STAGING_SUFFIX);
  }
  if (facts.herdRoot !== null) grant("read", facts.herdRoot);
  if (settings.app !== null) grant("read", dirname(path(settings.app)));
  if (facts.program) grant("read", dirname(facts.program));
  if (facts.projectDir) grant("read", facts.projectDir);
  // Its directory, not the file alone: a config.ts often imports its hooks from beside it.
  if (facts.configPath !== null) grant("read", dirname(facts.configPath));
  grantUnix(facts.control);
  grant("read", "/dev/stdin");
  for (const log of [settings.error_log, settings.access_log]) {
    const file = logFile(log);
    if (file === null) continue;
    grant("read", dirname(path(file)));
    grant("write", path(file));
  }
  grant("env", WORKER_ENV, PROBE_ENV, `${settings.env_prefix}_*`, "OTEL_*", "NO_COLOR", "TERM");

  for (const flag of extra) {
    const match = /^--allow-([a-z-]+)(?:=(.*))?$/.exec(flag);
    if (match === null) continue;
    const [, kind, values] = match;
    if (values === undefined) scopes.set(kind, null);
    else if (scopes.get(kind) !== null) grant(kind, ...values.split(","));
  }
  return [...scopes].map(([kind, set]) =>
    set === null ? `--allow-${kind}` : `--allow-${kind}=${[...set].join(",")}`
  );
}

/**
 * Herd's own source root when it runs from local files, else null.
 *
 * @example
 * ```ts
 * import { localHerdRoot } from "./worker_permissions.ts";
 * localHerdRoot(); // "/opt/herd" in a checkout
 * ```
 */
export function localHerdRoot(): string | null {
  const root = new URL("../../", import.meta.url);
  return root.protocol === "file:" ? decodeURIComponent(root.pathname).replace(/\/$/, "") : null;
}

// Deno writes IPv6 scopes in brackets, like URLs.
function netScope(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
