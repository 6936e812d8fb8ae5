/**
 * The master's steps around its loop: at start, the checks that refuse a
 * start (TLS pair, busy addresses), the banner and the `tcp_migrate_req`
 * hint; on every reload, re-resolving the configuration and moving the
 * auto-reload watch; at exit, removing Unix sockets. Each is an effect with
 * a one-line outcome.
 *
 * @module
 */
import { pathExists } from "../platform/path_exists.ts";
import { tcpMigrateReq } from "../platform/tcp_migrate_req.ts";
import { VERSION } from "../version.ts";
import { ExitCode } from "../ipc/protocol.ts";
import { getLog } from "../logging/log.ts";
import { type BannerInfo, formatBanner } from "../logging/banner.ts";
import { logFile } from "../logging/line_writer.ts";
import {
  canonicalAddress,
  formatAddress,
  type ListenAddress,
  listenAddresses,
} from "../settings/addresses.ts";
import type { Resolved } from "../settings/resolved.ts";
import type { Settings } from "../settings/table.ts";
import { resolveSettings } from "../settings/resolve.ts";
import { effectiveCpuCount } from "../platform/cpus.ts";
import type { MasterEffects } from "./arbiter.ts";
import { workerCount } from "./worker_count.ts";
import { addressRefusal, refuseBusyAddresses, whileInUse } from "./listener_check.ts";
import { loadTlsPair } from "./tls_check.ts";
import type { TlsPair } from "../ipc/protocol.ts";
import { releaseSocket } from "./unix_socket.ts";
import { appProject, projectDirOf } from "./app_project.ts";
import { reloadWatchPlan, watchFiles } from "./file_watch.ts";
import type { EventQueue } from "./events.ts";
import { importHeldBack } from "../settings/sources/config_file.ts";
import { descriptorShortageOf, whoLacksDescriptors } from "../platform/file_descriptors.ts";
import { readTextOrNull } from "../platform/read_text.ts";

/** Why Herd must not start, and the exit code that says so. */
export interface Refusal {
  message: string;
  code: number;
}

/**
 * Checks what must hold before any worker starts: a usable TLS pair (else
 * exit 2) and free `addresses` (else exit 5, once one in use has been
 * waited for: see `whileInUse`; a master started by USR2 passes only those
 * its predecessor does not listen on). Resolves with the refusal, or the TLS
 * pair as checked, for the workers.
 *
 * @example
 * ```ts
 * import { refuseStart } from "./startup.ts";
 * // const start = await refuseStart(settings, { addresses });
 * // if ("message" in start) return fail(start.message, start.code);
 * ```
 */
export async function refuseStart(
  settings: Pick<Settings, "certfile" | "keyfile" | "bind">,
  context: {
    /** The addresses nothing else may listen on. */
    addresses: readonly ListenAddress[];
    /** Names where a setting was given (see `originsOf`). */
    origin?: (name: "bind" | "host" | "port") => string;
    /** Ends the wait for an address in use (a stop signal). */
    signal?: AbortSignal;
  },
): Promise<Refusal | { tls: TlsPair | null }> {
  const tls = await loadTlsPair(settings);
  if (typeof tls === "string") return { message: tls, code: ExitCode.Usage };
  const busy = await whileInUse(async () => {
    const refusal = await refuseBusyAddresses(context.addresses);
    return { result: refusal, inUse: refusal?.kind === "in_use" ? refusal.problem : null };
  }, { signal: context.signal, onRetry: (line) => getLog("master").warning(line) });
  if (!busy) return { tls };
  return { message: addressRefusal(busy, settings, context.origin), code: ExitCode.BindError };
}

/**
 * The addresses as URLs, `https://` when a TLS pair is set.
 *
 * @example
 * ```ts
 * import { listenUrls } from "./startup.ts";
 * listenUrls({ certfile: "c.pem" }, [{ transport: "tcp", hostname: "::1", port: 8443 }]);
 * // ["https://[::1]:8443"]
 * ```
 */
export function listenUrls(
  settings: Pick<Settings, "certfile">,
  addresses: readonly ListenAddress[],
): string[] {
  const scheme = settings.certfile === null ? "http" : "https";
  return addresses.map((a) => formatAddress(a, scheme));
}

/**
 * At exit: removes each Unix socket nothing answers on any more.
 *
 * @example
 * ```ts
 * import { releaseUnixSockets } from "./startup.ts";
 * await releaseUnixSockets([{ transport: "unix", path: "/tmp/herd.sock" }]);
 * ```
 */
export async function releaseUnixSockets(addresses: readonly ListenAddress[]): Promise<void> {
  for (const address of addresses) {
    if (address.transport === "unix") await releaseSocket(address.path);
  }
}

/**
 * Shows the startup banner: on stdout, in colour, when that is a terminal (a
 * person watching); as INFO lines of the error log otherwise, and also when
 * the error log is a file, so a log collector reading stdout (JSON access
 * lines, say) gets no stray text, and the log file says what started, as
 * Gunicorn's does.
 *
 * @example
 * ```ts
 * import { printBanner } from "./startup.ts";
 * // printBanner(resolved, { addresses, workers: 2, embeddedConfig: false });
 * ```
 */
export function printBanner(
  resolved: Resolved,
  shown: { addresses: readonly ListenAddress[]; workers: number; embeddedConfig: boolean },
): void {
  const s = resolved.settings;
  const info: BannerInfo = {
    version: VERSION,
    pid: Deno.pid,
    addresses: listenUrls(s, shown.addresses),
    workers: shown.workers,
    workerClass: s.worker_class,
    env: s.env,
    accessLog: s.access_log,
    errorLog: s.error_log,
    configPath: resolved.configPath ?? (shown.embeddedConfig ? "given to serve()" : null),
    app: shown.embeddedConfig ? "given to serve()" : s.app,
    logFormat: s.log_format,
  };
  const terminal = Deno.stdout.isTerminal();
  if (terminal) console.log(formatBanner(info, { color: true }).join("\n"));
  if (!terminal || logFile(s.error_log) !== null) {
    const log = getLog("master");
    for (const line of formatBanner(info)) log.info(line);
  }
}

/**
 * Logs one hint when the kernel resets connections queued on a closing
 * worker instead of moving them to a sibling (`tcp_migrate_req` is 0).
 *
 * @example
 * ```ts
 * import { hintTcpMigrateReq } from "./startup.ts";
 * await hintTcpMigrateReq();
 * ```
 */
export async function hintTcpMigrateReq(): Promise<void> {
  if ((await tcpMigrateReq()) !== "0") return;
  getLog("master").info(
    "Hint: sysctl net.ipv4.tcp_migrate_req=1 hands connections still queued on a closing " +
      "worker to another instead of resetting them",
  );
}

// Fixed when the master starts: workers' permissions, the control socket, the metrics
// listener and the address checks are made for them.
const FIXED_AT_START = [
  "bind",
  "host",
  "port",
  "control_socket",
  "metrics_bind",
  "user",
  "group",
] as const;

const ADDRESS_SETTINGS: ReadonlySet<string> = new Set(["bind", "host", "port"]);

/**
 * The one-line reason a reloaded configuration cannot be applied: it
 * changes a setting that only a restart applies. Null when it can.
 *
 * @example
 * ```ts
 * import { changesFixedSettings } from "./startup.ts";
 * const before = { bind: [], host: "127.0.0.1", port: 8080 };
 * changesFixedSettings(before as never, { ...before, port: 9090 } as never);
 * // "\"port\" changed from 8080 to 9090: bind, host, port, control_socket, metrics_bind, user, group apply on a restart (or USR2), not a reload"
 * ```
 */
export function changesFixedSettings(
  before: Pick<Settings, (typeof FIXED_AT_START)[number]>,
  after: Pick<Settings, (typeof FIXED_AT_START)[number]>,
): string | null {
  // bind, host and port count by the addresses they give: adding a bind entry for the
  // address already served changes nothing.
  const addresses = (s: typeof before) => JSON.stringify(listenAddresses(s).map(canonicalAddress));
  const sameAddresses = addresses(before) === addresses(after);
  for (const name of FIXED_AT_START) {
    if (sameAddresses && ADDRESS_SETTINGS.has(name)) continue;
    const [was, is] = [JSON.stringify(before[name]), JSON.stringify(after[name])];
    if (was === is) continue;
    return `"${name}" changed from ${was} to ${is}: ${
      FIXED_AT_START.join(", ")
    } apply on a restart (or USR2), not a reload`;
  }
  return null;
}

/**
 * Re-resolves the configuration from the same sources as at start (HUP),
 * and checks the TLS pair again (a renewed certificate is read from disk).
 * `refused`, nothing changed, when the master (or the system) is short of
 * file descriptors and config.ts is there (importing it then could crash
 * the master: see `CONFIG_IMPORT_SPARE_FILES`) or `workers` is auto (the
 * cgroup quota cannot be read). A reload with no config.ts (flags, the
 * environment and `.env`), or with the configuration given to `serve()`
 * (`inlineConfig`), imports nothing and is never refused: a file it cannot
 * read then is a problem, as any other.
 *
 * @example
 * ```ts
 * import { reloadConfig } from "./startup.ts";
 * const next = await reloadConfig(["app.ts", "--workers", "2"]);
 * ```
 */
export async function reloadConfig(
  args: readonly string[],
  inlineConfig?: unknown,
): ReturnType<MasterEffects["reloadConfig"]> {
  const resolution = await resolveSettings({
    args,
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    inlineConfig,
  });
  if (!resolution.ok && resolution.configNotImported !== undefined) {
    const { file, shortage } = resolution.configNotImported;
    return { ok: false, refused: importHeldBack(file, shortage, "the master") };
  }
  if (!resolution.ok) return resolution;
  const { resolved } = resolution;
  // A renewed pair is checked before any worker gets it; the workers get it as checked.
  const tls = await loadTlsPair(resolved.settings);
  if (typeof tls === "string") return { ok: false, problems: [tls] };
  const { workers, worker_class } = resolved.settings;
  let count: number;
  try {
    // A cgroup quota left unread for lack of a descriptor is not "no quota": that would start a
    // worker per CPU of the host. The reload is postponed instead, as one held back from
    // importing config.ts is, and goes through once the shortage has passed.
    const readText = (path: string) => readTextOrNull(path, { throwWhenShort: true });
    count = workerCount(workers, () => effectiveCpuCount({ readText }), worker_class);
  } catch (error) {
    const shortage = descriptorShortageOf(error);
    if (shortage === null) throw error;
    return {
      ok: false,
      refused: `${whoLacksDescriptors(shortage, "the master")} (${shortage.reason}): ` +
        'cannot read the cgroup CPU quota for "workers" auto',
    };
  }
  return { ok: true, resolved: { ...resolved, tls }, workers: count };
}

/**
 * With `reload` on, watches the app's files and queues a `files_changed`
 * event for each debounced batch of changes; the arbiter reloads as on HUP.
 * {@linkcode ReloadWatch.follow} is called again with each configuration a
 * reload reads: one that moves the app, changes `reload_extra_files` or turns
 * `reload` on or off moves the watch with it.
 *
 * @example
 * ```ts
 * import { ReloadWatch } from "./startup.ts";
 * import { EventQueue, systemClock } from "./events.ts";
 * using watch = new ReloadWatch(new EventQueue(systemClock));
 * // watch.follow(resolved);
 * ```
 */
export class ReloadWatch implements Disposable {
  readonly #queue: EventQueue;
  #watch: Disposable | null = null;
  #plan = "";

  /** Watches nothing until {@linkcode ReloadWatch.follow}. */
  constructor(queue: EventQueue) {
    this.#queue = queue;
  }

  /**
   * Watches what `resolved` asks for (nothing when `reload` is off), if that changed.
   *
   * @throws {Error} when the files cannot be watched (no permission, the inotify limit)
   */
  follow(resolved: Resolved): void {
    const plan = resolved.settings.reload
      ? reloadWatchPlan(resolved.settings, {
        cwd: Deno.cwd(),
        configPath: resolved.configPath,
        projectDir: projectDirOf(appProject(resolved.settings.app)),
      })
      : null;
    // Which roots exist is part of it: a path created since is watched from this reload on.
    const key = plan === null ? "" : JSON.stringify([plan, plan.roots.filter(pathExists)]);
    if (key === this.#plan) return;
    const log = getLog("master");
    this[Symbol.dispose]();
    if (plan === null) return log.info("Reload on change: off");
    this.#watch = watchFiles(plan, (paths) => this.#queue.push({ kind: "files_changed", paths }));
    this.#plan = key;
    const watching = plan.roots.map((root) => `"${root}"`).join(", ") || "nothing (no app)";
    log.info(`Reload on change: watching ${watching}`);
  }

  /** Stops watching. */
  [Symbol.dispose](): void {
    this.#watch?.[Symbol.dispose]();
    this.#watch = null;
    this.#plan = "";
  }
}
