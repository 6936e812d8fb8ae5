/**
 * The worker process: connect to the master, receive the configuration,
 * load the app, serve it on every address, report heartbeats, and leave
 * when told to (or at once when the master is gone).
 *
 * ```
 * connect control socket → hello → config → logging → hooks → loadApp
 *   → post_worker_init → Deno.serve × addresses → ready → heartbeats …
 *   drain / SIGTERM → Connection: close 300 ms → shutdown() → exit 0
 *   stop → exit 0 · channel EOF, stdin EOF, ppid change → exit 6
 * ```
 *
 * The master starts it as `src/worker/entry.ts __worker` (a compiled binary:
 * `herd __worker`) with `_HERD_WORKER` set to
 * `{"id","token","control"}`, stdin a pipe it never writes, stdout and
 * stderr inherited (they belong to the app; Herd's protocol never uses them).
 *
 * @example
 * ```ts
 * import { runWorker } from "./worker.ts";
 * Deno.exit(await runWorker());
 * ```
 *
 * @module
 */
import { connectChannel } from "../ipc/channel.ts";
import {
  errorMessage,
  firstLine,
  namedFirstLine,
  osErrorReason,
  thrownText,
  workerPermissionAdvice,
} from "../error_text.ts";
import {
  type ConfigMessage,
  ExitCode,
  type Frame,
  type RetireMessage,
  WORKER_ENV,
  type WorkerIdentity,
} from "../ipc/protocol.ts";
import { hookFailureLogger, runHook, type WorkerContext } from "../hooks.ts";
import { getLog } from "../logging/log.ts";
import { configureLogging, flushLogs, reopenLogs } from "../logging/setup.ts";
import { type AccessLogger, openAccessLog } from "../logging/access_log.ts";
import { logFile } from "../logging/line_writer.ts";
import { listenAddresses } from "../settings/addresses.ts";
import type { DataSettings } from "../settings/table.ts";
import { createDefaultApp } from "./default_app.ts";
import { drainServers } from "./drain.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { AppLoadError, loadApp } from "./load_app.ts";
import { watchParent } from "./parent_watch.ts";
import {
  createRequestGuard,
  type RequestGuard,
  type RequestGuardOptions,
} from "./request_guard.ts";
import { BindError, listenOptions, serveApp, servedAddr } from "./serve_app.ts";
import { loadWorkerHooks, workerHooksOf } from "./worker_hooks.ts";
import type { Embedded } from "../embedded.ts";
import { after } from "../platform/timer.ts";

// How long before the master's SIGKILL a draining worker gives up on its last requests.
const EXIT_MARGIN_MS = 500;
const log = getLog("worker");
const hookFailed = hookFailureLogger(log);

/**
 * Runs the worker until it must exit; returns the exit code (an
 * `ExitCode`). The caller exits the process with it, which also ends
 * whatever is still running.
 *
 * @example
 * ```ts
 * import { runWorker } from "./worker.ts";
 * const code = await runWorker(); // needs _HERD_WORKER and a master listening
 * ```
 */
export async function runWorker(options: { embedded?: Embedded } = {}): Promise<number> {
  const identity = parseIdentity(Deno.env.get(WORKER_ENV));
  if (typeof identity === "string") {
    console.error(identity);
    return ExitCode.Usage;
  }
  const channel = await connectChannel(identity.control).catch((error) => {
    console.error(`Cannot reach the master at "${identity.control}": ${firstLine(error)}`);
    return null;
  });
  if (channel === null) return ExitCode.Orphaned;
  const frames = channel[Symbol.asyncIterator]();
  await channel.send({ type: "hello", id: identity.id, pid: Deno.pid, token: identity.token });
  const first = await frames.next().catch(() => null);
  if (first === null || first.done || first.value.type !== "config") return ExitCode.Orphaned;
  const config = first.value;

  const exit = Promise.withResolvers<number>();
  // Stdin, the parent pid and the control channel each tell it: say it once.
  let orphaned = false;
  // Set once serving: an orphan finishes what it has in flight (as Gunicorn's workers do when
  // their parent changes) and stops listening, so a restarted master can bind.
  let drainOrphan: ((why: string) => void) | null = null;
  const masterGone = (reason: string) => {
    if (orphaned) return;
    orphaned = true;
    if (drainOrphan === null) {
      log.warning(`${reason}; exiting`);
      return exit.resolve(ExitCode.Orphaned);
    }
    log.warning(`${reason}; finishing the requests in flight, then exiting`);
    drainOrphan("the master is gone");
  };
  using _parent = watchParent({ onGone: masterGone });
  try {
    openLog(
      "error log",
      config.settings.error_log,
      config.settings,
      () => configureLogging({ role: "worker", workerId: identity.id, settings: config.settings }),
    );
  } catch (error) {
    // No log of its own to say it in: the master logs it, as a boot failure of this worker.
    const message = errorMessage(error);
    if (!(await channel.send({ type: "boot_error", code: ExitCode.Usage, message }))) {
      console.error(message);
    }
    return ExitCode.Usage;
  }
  // Until it serves, a fault is a boot failure (exit); then the master is asked to replace it.
  let askToRetire: ((why: string, reason: RetireReason) => boolean) | null = null;
  handleUncaught((why) => askToRetire?.(why, "crash") ?? false);

  const bootError = async (code: ExitCode, text: string) => {
    // The master logs it, with this worker's id and pid: logging it here too printed it twice.
    // Only if the master cannot be told does the worker log it itself.
    const told = await channel.send({ type: "boot_error", code, message: text });
    if (told) log.debug(text);
    else log.error(text);
    return code;
  };
  // The heartbeat starts after boot; until then there is nothing to report out of turn.
  let beatNow = () => {};
  let beatIfDue = (_now: number) => {};
  // The master may die while the app still loads (a slow or endless import): leave then.
  const booted = await Promise.race([
    boot(identity, config, {
      embedded: options.embedded,
      recycleDue: () => beatNow(),
      answered: (now) => beatIfDue(now),
      syncStuck: () =>
        askToRetire?.("a request ran past timeout and still holds its one slot", "timeout"),
    }).catch((error) => error as Error),
    exit.promise,
  ]);
  if (typeof booted === "number") return finish(booted, null);
  if (booted instanceof Error) {
    const code = booted instanceof AppLoadError
      ? ExitCode.AppLoadError
      : booted instanceof BindError
      ? ExitCode.BindError
      : ExitCode.Error;
    return finish(await bootError(code, booted.message), null);
  }
  const { guard, servers, addresses, accessLog } = booted;
  let retireAsked = false;
  askToRetire = (why, reason) => {
    if (orphaned) return false;
    if (!retireAsked) channel.send({ type: "retire", why, reason });
    retireAsked = true;
    return true;
  };

  let draining = false;
  // An orphan's exit code says so (nobody reaps it, but a supervisor of the group may look).
  const drained = () => exit.resolve(orphaned ? ExitCode.Orphaned : ExitCode.Ok);
  const drain = (graceMs: number, why: string) => {
    if (draining) return;
    draining = true;
    log.info(`Draining (${why}; up to ${graceMs} ms)`);
    // Out a little before the master's SIGKILL at graceMs: the access log's last lines and
    // the final heartbeat (the counts /metrics keeps) are written on the way out.
    const ownMs = graceMs - Math.min(EXIT_MARGIN_MS, graceMs / 10);
    const deadline = after(ownMs, () => {
      const left = guard.inFlight;
      // Past its handler, a streamed body is no request in flight, but is still being sent.
      const cut = left === 0
        ? "the responses still being sent"
        : left === 1
        ? "1 request"
        : `${left} requests`;
      log.warning(`Still busy after ${ownMs} ms of draining; exiting anyway, cutting off ${cut}`);
      drained();
    });
    drainServers({
      servers,
      startDrain: () => guard.startDrain(),
      receiving: () => guard.bodyReadersNow(),
      busy: () => guard.inFlight > 0,
    })
      .then(drained, (error) => {
        log.error(`Drain failed: ${firstLine(error)}`);
        drained();
      })
      .finally(() => deadline.cancel());
  };
  const graceMs = config.settings.graceful_timeout * 1000;
  drainOrphan = (why) => drain(graceMs, why);
  // SIGTERM from elsewhere (the master asks by message): the master replaces it at once.
  using _signals = handleSignals(() => {
    askToRetire?.("SIGTERM", "signal");
    drain(graceMs, "SIGTERM");
  });
  // Only now: a SIGTERM from here on drains (the master may send one to a worker it still
  // sees as booting, whose ready frame it has not read yet).
  await channel.send({ type: "ready", addresses, readsRequest: guard.readsRequest });
  log.debug(`Worker ${identity.id} (pid: ${Deno.pid}) serving on ${addresses.join(", ")}`);
  using beat = startHeartbeat({ send: (m) => channel.send(m), stats: (rss) => guard.stats(rss) });
  beatNow = () => beat.now();
  beatIfDue = (now) => beat.ifDue(now);
  const onFrame = (frame: Frame) => {
    if (frame.type === "drain") drain(frame.graceMs, `master: ${frame.reason}`);
    else if (frame.type === "stop") exit.resolve(ExitCode.Ok);
    else if (frame.type === "reopen_logs") {
      reopenLogs();
      accessLog?.reopen();
    }
  };
  followMaster(frames, onFrame).then(() =>
    masterGone("Control channel closed: the master is gone")
  );
  // Deno ends a server's accept loop by itself: when a request the app upgraded
  // (Deno.upgradeWebSocket) is answered with anything but the upgrade (another response, a
  // throw, or Herd's 503 at `timeout`), and when an accept fails (no file descriptor left,
  // EMFILE: the listener is closed, for good, even once connections are freed). The worker
  // would look healthy and serve no one: it lets its handlers finish and leaves, to be
  // replaced at once. Not as a crash: it booted and served, and a client repeating such a
  // request would otherwise push the master's backoff.
  const stopped = (why: string) => {
    if (draining) return;
    log.error(
      `The server stopped accepting connections by itself (${why}): the worker exits to be replaced`,
    );
    askToRetire?.("its server stopped accepting connections", "server_stopped");
    drain(graceMs, "its server stopped");
  };
  for (const server of servers) {
    server.finished.then(
      () =>
        stopped("Deno does when a request the app upgraded to a WebSocket is answered otherwise"),
      (error) => stopped(firstLine(error)),
    );
  }

  const code = await exit.promise;
  guard.close();
  // A last count, so the master's totals include what was served since the last tick.
  await channel.send({ type: "heartbeat", ...guard.stats(Deno.memoryUsage().rss) });
  channel.close();
  return finish(code, accessLog);
}

/** Why a worker asks to be replaced (see `RetireMessage`). */
type RetireReason = RetireMessage["reason"];

interface Booted {
  guard: RequestGuard;
  servers: Deno.HttpServer[];
  addresses: string[];
  accessLog: AccessLogger | null;
}

/**
 * Runs `open` for a log file, or throws one line naming the file, and the workers' user when
 * they run as another one: they open the files the master checked, with their own rights.
 */
function openLog<T>(
  label: string,
  value: string | null,
  settings: Pick<DataSettings, "user">,
  open: () => T,
): T {
  try {
    return open();
  } catch (error) {
    const as = settings.user === null ? "" : ` as user "${settings.user}"`;
    throw new Error(
      `Cannot open the ${label} "${logFile(value) ?? value}"${as}: ${osErrorReason(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function boot(
  identity: WorkerIdentity,
  config: ConfigMessage,
  options: {
    embedded?: Embedded;
    recycleDue: () => void;
    answered: (now: number) => void;
    syncStuck: () => void;
  },
): Promise<Booted> {
  const { embedded } = options;
  const { settings } = config;
  const hooks = embedded
    ? workerHooksOf(embedded.config, settings.env)
    : await loadWorkerHooks({ configPath: config.configPath, profile: settings.env });
  const loaded = embedded?.app ?? await loadApp(settings.app, Deno.cwd());
  const context: WorkerContext = {
    id: identity.id,
    pid: Deno.pid,
    generation: config.generation,
    log: getLog("hooks"),
  };
  await runHook("post_worker_init", hooks.post_worker_init, [context], hookFailed);
  const accessLog = openLog(
    "access log",
    settings.access_log,
    settings,
    () => openAccessLog(settings),
  );
  let guard: RequestGuard | null = null;
  // The default app needs the guard for /readyz; the guard needs the app: a late binding.
  const app = loaded.url === null
    ? createDefaultApp({ workerId: identity.id, isDraining: () => guard?.draining ?? false })
    : loaded.fetch;
  guard = createRequestGuard(app, {
    ...guardSettings(settings),
    hooks: { context, preRequest: hooks.pre_request, postRequest: hooks.post_request },
    accessLog,
    recycleAt: { served: config.maxRequests ?? 0, notify: options.recycleDue },
    answered: options.answered,
    syncStuck: options.syncStuck,
  });
  const port = settings.port === 0 ? config.port : settings.port;
  const { servers, addresses } = serveApp({
    addresses: listenAddresses({ ...settings, port }),
    handler: guard.handler,
    keepaliveS: settings.keepalive,
    ...listenOptions(settings, identity.id),
    tls: config.tls ?? null,
    onError: (error) =>
      log.error(
        `Error in the app's response body, after its status was sent (the client got it cut ` +
          `short): ${thrownText(error)}`,
      ),
  });
  if (loaded.onListen !== null) callOnListen(loaded.onListen, servers);
  return { guard, servers, addresses, accessLog };
}

/**
 * The app's `onListen` for each server, as `deno serve` calls it: part of the app's boot, so
 * one that throws fails the worker's boot as an import that throws does (its listeners closed
 * first, so no connection waits on a worker that is leaving).
 */
function callOnListen(onListen: (localAddr: Deno.Addr) => void, servers: Deno.HttpServer[]): void {
  try {
    for (const server of servers) onListen(servedAddr(server));
  } catch (error) {
    for (const server of servers) server.shutdown().catch(() => {});
    throw new AppLoadError(`The app's onListen threw ${namedFirstLine(error)}`, { cause: error });
  }
}

/**
 * The request guard's options from the settings (hooks and access log
 * apart).
 *
 * @example
 * ```ts
 * import { guardSettings } from "./worker.ts";
 * guardSettings({ worker_class: "async", worker_connections: 1000, timeout: 30, keepalive: 2,
 *   keepalive_requests: 1000, limit_request_line: 4094, limit_request_fields: 100,
 *   limit_request_field_size: 8190, limit_request_body: 0, forwarded_allow_ips: [] }).timeoutS; // 30
 * ```
 */
export function guardSettings(
  settings: GuardSettings,
): Omit<RequestGuardOptions, "hooks" | "accessLog"> {
  return {
    workerClass: settings.worker_class,
    maxInFlight: settings.worker_connections,
    timeoutS: settings.timeout,
    keepaliveS: settings.keepalive,
    keepaliveRequests: settings.keepalive_requests,
    forwardedAllowIps: settings.forwarded_allow_ips,
    limits: {
      line: settings.limit_request_line,
      fields: settings.limit_request_fields,
      fieldSize: settings.limit_request_field_size,
      body: settings.limit_request_body,
    },
  };
}

/** The settings {@linkcode guardSettings} reads. */
export type GuardSettings = Pick<
  DataSettings,
  | "worker_class"
  | "worker_connections"
  | "timeout"
  | "keepalive"
  | "keepalive_requests"
  | "forwarded_allow_ips"
  | "limit_request_line"
  | "limit_request_fields"
  | "limit_request_field_size"
  | "limit_request_body"
>;

/**
 * Parses {@linkcode WORKER_ENV}; returns a one-line error instead when it is
 * missing or malformed.
 */
function parseIdentity(raw: string | undefined): WorkerIdentity | string {
  if (raw === undefined) return `Missing ${WORKER_ENV}: this command is run by the Herd master`;
  try {
    const value = JSON.parse(raw);
    if (
      Number.isInteger(value?.id) && typeof value.token === "string" &&
      typeof value.control === "string"
    ) return { id: value.id, token: value.token, control: value.control };
  } catch {
    // Reported below, with the same message as a wrong shape.
  }
  return `Invalid ${WORKER_ENV} ${
    JSON.stringify(raw.slice(0, 80))
  }: expected {"id","token","control"}`;
}

/** Dispatches the master's frames until the channel ends (EOF or a bad frame). */
async function followMaster(
  frames: AsyncIterator<Frame>,
  onFrame: (frame: Frame) => void,
): Promise<void> {
  try {
    for (let next = await frames.next(); !next.done; next = await frames.next()) {
      onFrame(next.value);
    }
  } catch (error) {
    log.error(`Bad frame from the master: ${firstLine(error)}`);
  }
}

/**
 * SIGTERM drains (container runtimes signal the whole process group).
 * SIGINT, SIGQUIT and SIGHUP are ignored: Ctrl-C reaches every worker too,
 * and the master decides what each one does. SIGUSR1 is never used: it
 * opens the inspector in Deno ≥ 2.9.2, so workers start with it blocked
 * (see `src/platform/inspector_guard.ts`).
 */
function handleSignals(onTerm: () => void): Disposable {
  const ignore = () => {};
  const ignored = ["SIGINT", "SIGQUIT", "SIGHUP"] as const;
  Deno.addSignalListener("SIGTERM", onTerm);
  for (const signal of ignored) Deno.addSignalListener(signal, ignore);
  return {
    [Symbol.dispose]() {
      Deno.removeSignalListener("SIGTERM", onTerm);
      for (const signal of ignored) Deno.removeSignalListener(signal, ignore);
    },
  };
}

/**
 * An uncaught error (thrown from a timer, an event handler) leaves the worker in a state no one
 * can vouch for: once serving, it asks the master to replace it, and serves on until its
 * replacement is ready and it is drained, as a recycled worker is, so the requests it has in
 * flight are not cut off. Before that (still booting, or the master unreachable) it exits with
 * code 1, as Deno would. An unhandled promise rejection (a stray promise of the app's) is
 * logged, at most one line per {@linkcode REJECTION_LOG_MS}, and the worker serves on, as
 * Gunicorn's and Uvicorn's do: Deno's default, ending the process, cut off every request in
 * flight on it for one fire-and-forget promise. Either way the cause is one line in the error
 * log instead of Deno's multi-line report on the master's stderr; the stack follows at `debug`.
 */
function handleUncaught(retire: (why: string) => boolean): void {
  const describe = (error: unknown) => {
    try {
      const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
      const where = /^\s+at (.+)$/m.exec(stack)?.[1];
      return {
        text: `${workerPermissionAdvice(namedFirstLine(error))}${where ? ` (at ${where})` : ""}`,
        stack,
      };
    } catch {
      // Something odd was thrown (a revoked Proxy, a message that is no string): still one line.
      return { text: thrownText(error).split("\n")[0], stack: "" };
    }
  };
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    const { text, stack } = describe(event.error);
    const replaced = retire("an uncaught error");
    log.error(`Uncaught error, the worker ${replaced ? "is replaced" : "exits"}: ${text}`);
    if (stack) log.debug(stack);
    if (replaced) return;
    flushLogs();
    Deno.exit(ExitCode.Error);
  });
  let loggedAt = -Infinity;
  let since = 0;
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const now = performance.now();
    if (now - loggedAt < REJECTION_LOG_MS) {
      since++;
      return;
    }
    const { text, stack } = describe(event.reason);
    const more = since === 0 ? "" : ` (and ${since} more since the last one logged)`;
    log.error(`Unhandled promise rejection, the worker serves on${more}: ${text}`);
    if (stack) log.debug(stack);
    loggedAt = now;
    since = 0;
  });
}

/** Unhandled rejections are logged at most once per this many ms (with a count of the rest). */
const REJECTION_LOG_MS = 10_000;

function finish(code: number, accessLog: AccessLogger | null): number {
  accessLog?.close();
  flushLogs();
  return code;
}
