/**
 * Cross-setting checks, run once every setting has its value: things no
 * single setting's parser can see. Pure: the CPU count comes in as data.
 *
 * @example
 * ```ts
 * import { checkSettings } from "./checks.ts";
 * declare const input: Parameters<typeof checkSettings>[0];
 * const { problems, warnings } = checkSettings(input);
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import { canonicalAddress, hostPort, listenAddresses, parseBind } from "./addresses.ts";
import type { Settings } from "./table.ts";
import { describeOrigin, type Origin } from "./problems.ts";
import { errorMessage } from "../error_text.ts";
import { logFile } from "../logging/line_writer.ts";
import { needsAllPermissions } from "../platform/special_files.ts";
import { grantsAll } from "./sections/server.ts";

/** The resolved values, where each came from, and the machine's CPU count. */
export interface CheckInput {
  settings: Settings;
  /** The origin of each setting's winning value; absent means the default. */
  origins: ReadonlyMap<string, Origin>;
  /** The effective CPU count (`effectiveCpuCount()`). */
  cpuCount: number;
  /**
   * `Deno.build.standalone`: a compiled Herd's workers have every permission; a script's
   * have those `worker_permissions` gives. Absent: a script.
   */
  standalone?: boolean;
  /** The master's working directory, against which relative log paths resolve. Absent: `/`. */
  cwd?: string;
}

/** Errors that stop Herd, and warnings it prints and goes on. */
export interface CheckResult {
  problems: string[];
  warnings: string[];
}

/**
 * Checks the combination of settings.
 *
 * @example
 * ```ts
 * import { checkSettings } from "./checks.ts";
 * import type { Settings } from "./table.ts";
 * declare const settings: Settings;
 * checkSettings({ settings: { ...settings, workers: 64 }, origins: new Map(), cpuCount: 2 })
 *   .warnings; // ['"workers" is 64, more than 2 × 2 CPUs + 1 = 5: ...']
 * ```
 */
export function checkSettings(input: CheckInput): CheckResult {
  const { settings, origins, cpuCount, standalone = false, cwd = "/" } = input;
  const problems: string[] = [];
  const warnings: string[] = [];
  const from = (name: string) => {
    const origin = origins.get(name);
    return origin === undefined ? "" : ` from ${describeOrigin(origin)}`;
  };

  const seen = new Set<string>();
  const unixPaths: string[] = [];
  for (const entry of settings.bind) {
    let address;
    try {
      address = parseBind(entry, { hostname: settings.host, port: settings.port });
    } catch (error) {
      const detail = errorMessage(error);
      // parseBind says `Invalid bind "x": why`; put the source after the value.
      problems.push(detail.replace(/^(Invalid bind "[^"]*")/, `$1${from("bind")}`));
      continue;
    }
    // One free port is chosen for `port` 0 and shared; a bind's would differ in every worker.
    if (address.transport === "tcp" && address.port === 0) {
      problems.push(
        `Invalid bind "${entry.trim()}"${
          from("bind")
        }: port 0 would give each worker its own port; use --port 0 (one free port for all)`,
      );
      continue;
    }
    if (address.transport === "unix") unixPaths.push(address.path);
    const key = JSON.stringify(canonicalAddress(address));
    if (seen.has(key)) {
      warnings.push(`"bind"${from("bind")} lists the address of "${entry.trim()}" twice`);
    }
    seen.add(key);
  }

  const clash = metricsClash(settings);
  if (clash !== null) {
    problems.push(
      `"metrics_bind" is "${settings.metrics_bind}"${
        from("metrics_bind")
      }: the server listens there too (${clash}); give the metrics another port`,
    );
  }

  if ((settings.certfile === null) !== (settings.keyfile === null)) {
    const [given, missing] = settings.certfile === null
      ? ["keyfile", "certfile"]
      : ["certfile", "keyfile"];
    problems.push(`"${given}"${from(given)} needs "${missing}" too: TLS takes both or neither`);
  }

  const unixBinds = settings.bind.filter((entry) => entry.trim().startsWith("unix:"));
  if (unixBinds.length > 0 && settings.workers !== 1) {
    warnings.push(
      `"bind"${from("bind")} has ${
        unixBinds.map((b) => `"${b.trim()}"`).join(", ")
      }: worker 1 alone serves a Unix socket (SO_REUSEPORT does not apply to them)${
        unixBinds.length < settings.bind.length ? "; every worker serves the TCP addresses" : ""
      }`,
    );
  }

  if (settings.reload && settings.env === "production") {
    warnings.push(
      `"reload"${from("reload")} is on under the production profile: it is meant for development`,
    );
  }

  if (origins.has("worker_connections") && settings.worker_class === "sync") {
    warnings.push(
      `"worker_connections"${
        from("worker_connections")
      } has no effect: it is only meaningful for async/gevent workers, and "worker_class" is sync`,
    );
  }

  if (!standalone && !grantsAll(settings.worker_permissions)) {
    // A worker opens its log files itself, with scoped permissions (the master, which has
    // every permission, reads the TLS pair and sends it).
    for (const name of ["error_log", "access_log"] as const) {
      const file = logFile(settings[name]);
      if (file === null || !needsAllPermissions(resolve(cwd, file))) continue;
      problems.push(
        `"${name}" is "${file}"${
          from(name)
        }: Deno lets a worker open files under /dev, /proc and /sys only with every permission; log to a regular file or "-", or add "all" to "worker_permissions"`,
      );
    }
  }

  // One path, two uses: the pidfile written into a socket fails (ENXIO), a pidfile in a log
  // file is the log's start and removed at exit, a control socket on a unix bind answers HTTP
  // to `status`. Two logs in one file are fine (whole lines, appended).
  const uses = new Map<string, string>();
  const named: [string, string | null][] = [
    ["pidfile", settings.pidfile],
    ["control_socket", settings.control_socket],
    ["access_log", logFile(settings.access_log)],
    ["error_log", logFile(settings.error_log)],
    ...unixPaths.map((path): [string, string] => ["bind", path]),
  ];
  for (const [name, path] of named) {
    if (path === null || path === "") continue;
    const full = resolve(cwd, path);
    const other = uses.get(full);
    const logs = other?.endsWith("_log") && name.endsWith("_log");
    if (other !== undefined && other !== name && !logs) {
      problems.push(
        `"${name}"${from(name)} and "${other}"${
          from(other)
        } are the same path "${path}": give each its own`,
      );
    }
    if (other === undefined) uses.set(full, name);
  }

  const ceiling = 2 * cpuCount + 1;
  if (typeof settings.workers === "number" && settings.workers > ceiling) {
    warnings.push(
      `"workers" is ${settings.workers}${
        from("workers")
      }, more than 2 × ${cpuCount} CPUs + 1 = ${ceiling}: the extra workers compete for CPU`,
    );
  }
  return { problems, warnings };
}

const WILDCARDS = new Set(["0.0.0.0", "::"]);

// The server address metrics_bind would collide with (same port, same or wildcard host), or null.
function metricsClash(settings: Settings): string | null {
  if (settings.metrics_bind === null) return null;
  let metrics;
  let server;
  try {
    metrics = parseBind(settings.metrics_bind);
    server = listenAddresses(settings);
  } catch {
    return null; // a malformed bind is reported on its own
  }
  if (metrics.transport !== "tcp") return null;
  for (const address of server) {
    if (address.transport !== "tcp" || address.port !== metrics.port || address.port === 0) {
      continue;
    }
    const { hostname } = address;
    const same = canonicalAddress(address).hostname === canonicalAddress(metrics).hostname;
    if (same || WILDCARDS.has(hostname) || WILDCARDS.has(metrics.hostname)) {
      return hostPort(address);
    }
  }
  return null;
}
