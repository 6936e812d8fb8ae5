/**
 * THE protocol between the master, its workers and the CLI's control
 * commands (`status`, `reopen-logs`). Master and worker code meet only here
 * and in `channel.ts`.
 *
 * Transport: one Unix stream socket per master, `control.sock`, in a private
 * directory (mode 0700; the socket 0600). Every peer connects to it; the
 * first frame says who it is (`hello` from a worker, a `request` from a
 * control command).
 *
 * Frame: one JSON object, UTF-8, terminated by `\n`. JSON escapes newlines
 * inside strings, so a frame never contains a raw `\n`. At most
 * {@linkcode MAX_FRAME_BYTES} per frame; a longer one is a protocol error
 * and the connection is closed.
 *
 * ```
 *  worker                         master                        herd status
 *    |-- hello {id,pid,token} ---->|                                  |
 *    |<------- config {settings} --|                                  |
 *    |-- ready {addresses} ------->|  (after Deno.serve's onListen)    |
 *    |-- heartbeat {stats} ------->|  every HEARTBEAT_MS              |
 *    |-- retire {why,reason} ----->|  (replace me: a fault, a SIGTERM) |
 *    |<------- drain {reason} -----|  (or stop, reopen_logs)          |
 *    |                             |<-------- request {command} ------|
 *    |                             |--------- response {...} -------->|
 *  EOF on either side: the peer is gone. A worker exits at once when the
 *  master's end closes (no orphans).
 * ```
 *
 * @module
 */
import type { DataSettings } from "../settings/table.ts";
import type { ExitReason } from "../hooks.ts";
import type { ListenAddress } from "../settings/addresses.ts";

/** Largest frame accepted, in bytes (the config frame is the largest). */
export const MAX_FRAME_BYTES = 1 << 20;

/** How often a worker sends a heartbeat. */
export const HEARTBEAT_MS = 1000;

/**
 * How long a draining worker answers with `Connection: close` before its listeners close
 * (measured: enough for keep-alive clients under load to move on without an error). The
 * master counts on it when it spaces replacements out.
 */
export const DRAIN_LINGER_MS = 300;

/** Request counters a worker reports; cumulative since the worker started. */
export interface RequestStats {
  /** Requests answered (any status). */
  served: number;
  /** Requests currently in the app. */
  inFlight: number;
  /** Age of the oldest in-flight request in ms (0 when none). */
  oldestMs: number;
  /** Resident set size in bytes. */
  rss: number;
  /** Answered requests by status class: index 0 = 1xx … 4 = 5xx. */
  byClass: [number, number, number, number, number];
  /** Cumulative counts per duration bucket (upper bounds in {@linkcode DURATION_BUCKETS_S}), then +Inf. */
  durationBuckets: number[];
  /** Sum of all request durations in seconds. */
  durationSum: number;
  /** Requests refused with 503 because the worker was at its connection limit. */
  rejected: number;
  /** Requests answered 503 because the handler exceeded `timeout`. */
  timedOut: number;
}

/** Upper bounds (seconds) of the request-duration histogram buckets. */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// ---- master → worker, at spawn -------------------------------------------

/**
 * The argument that marks a worker process. `main.ts` and `serve()` check it
 * before importing anything else, so a compiled binary's or an embedding
 * program's workers never load the CLI, the settings resolver or the master;
 * in script mode a worker starts from `src/worker/entry.ts`, which only
 * carries it so `ps` shows what the process is.
 */
export const WORKER_COMMAND = "__worker";

/** The environment variable that carries a worker's identity (JSON). */
export const WORKER_ENV = "_HERD_WORKER";

/** What the master tells a worker about itself, in {@linkcode WORKER_ENV}. */
export interface WorkerIdentity {
  /** The worker's slot number. */
  id: number;
  /** Random per spawn; the worker echoes it in `hello`. */
  token: string;
  /** The control socket path. */
  control: string;
}

// ---- worker → master -------------------------------------------------------

/** First frame of a worker: who it is. `token` proves the master spawned it. */
export interface HelloMessage {
  type: "hello";
  id: number;
  pid: number;
  token: string;
}

/** The worker listens on every address and serves. */
export interface ReadyMessage {
  type: "ready";
  addresses: string[];
  /**
   * False when Deno builds no request for the app (it declares no parameters and
   * nothing configured reads one), so keep-alive cannot tell connections apart.
   */
  readsRequest: boolean;
}

/** Periodic liveness and stats. Its absence for `timeout` seconds means a blocked worker. */
export interface HeartbeatMessage extends RequestStats {
  type: "heartbeat";
}

/** The worker could not start; sent just before it exits with {@linkcode ExitCode}. */
export interface BootErrorMessage {
  type: "boot_error";
  code: ExitCode;
  message: string;
}

/**
 * A serving worker asks to be replaced. It serves on until its replacement is ready, then is
 * drained as a recycled one is, when an uncaught error left it in a state no one can vouch for
 * (`crash`: the replacement waits out the crash backoff), or a `sync` worker's request ran past
 * `timeout` and still holds its one slot (`timeout`). Or it drains already, so its replacement
 * starts at once ({@linkcode drainsAlready}): it was sent SIGTERM by something other than the
 * master (`signal`), or its server stopped accepting connections by itself (`server_stopped`).
 */
export interface RetireMessage {
  type: "retire";
  /** Why, in a few words, for the master's log line. */
  why: string;
  reason: "crash" | "timeout" | "signal" | "server_stopped";
}

/**
 * Whether a worker asking to be replaced for `reason` drains already (see
 * {@linkcode RetireMessage}).
 *
 * @example
 * ```ts
 * import { drainsAlready } from "./protocol.ts";
 * drainsAlready("signal"); // true
 * drainsAlready("crash"); // false: it serves on until replaced
 * ```
 */
export function drainsAlready(
  reason: RetireMessage["reason"],
): reason is "signal" | "server_stopped" {
  return reason === "signal" || reason === "server_stopped";
}

/** Messages a worker sends. */
export type WorkerMessage =
  | HelloMessage
  | ReadyMessage
  | HeartbeatMessage
  | BootErrorMessage
  | RetireMessage;

// ---- master → worker -------------------------------------------------------

/** A certificate chain and its key, as PEM text. */
export interface TlsPair {
  cert: string;
  key: string;
}

/** The resolved configuration, sent in answer to `hello`. */
export interface ConfigMessage {
  type: "config";
  /** Everything but hooks; the worker imports `configPath` for its hooks. */
  settings: DataSettings;
  /** Absolute path of config.ts when it sets a worker-side hook, otherwise null. */
  configPath: string | null;
  /** Incremented on each reload. */
  generation: number;
  /** The port every worker binds when `port` was 0 (resolved once by the master). */
  port: number;
  /**
   * This worker's own `max_requests` limit (jitter drawn by the master), 0 for none. The worker
   * sends a heartbeat the moment it reaches it, so recycling need not wait for the next beat.
   */
  maxRequests?: number;
  /**
   * The TLS pair the master checked for this generation, null for plain HTTP. Sent rather
   * than read by the worker, so a file replaced on disk after a refused reload never reaches
   * a replacement worker.
   */
  tls?: TlsPair | null;
}

/** Stop accepting, finish in-flight requests, exit 0. */
export interface DrainMessage {
  type: "drain";
  reason: ExitReason;
  /** Milliseconds the worker has before the master kills it. */
  graceMs: number;
}

/** Exit now, without waiting for in-flight requests. */
export interface StopMessage {
  type: "stop";
}

/** Close and reopen every log file (after logrotate moved them). */
export interface ReopenLogsMessage {
  type: "reopen_logs";
}

/** Messages the master sends to a worker. */
export type MasterMessage = ConfigMessage | DrainMessage | StopMessage | ReopenLogsMessage;

// ---- control command ↔ master ---------------------------------------------

/** A control command's request. */
export interface ControlRequest {
  type: "request";
  command: "status" | "reopen_logs";
}

/** One worker's row in `status`. */
export interface WorkerStatus {
  id: number;
  pid: number;
  generation: number;
  state: "booting" | "ready" | "draining";
  ageS: number;
  served: number;
  inFlight: number;
  rss: number;
}

/**
 * Which service a master runs: its working directory, its config.ts (null: none, or the
 * configuration given to `serve()`) and its program. `check` compares them with its own to tell
 * the running master of the service it checks from another service's.
 */
export interface ServiceIdentity {
  cwd: string;
  config: string | null;
  main: string;
}

/** The master's answer to a control request. */
export interface ControlResponse {
  type: "response";
  ok: boolean;
  error?: string;
  master?: {
    pid: number;
    version: string;
    startedAt: string;
    targetWorkers: number;
    /** What it listens on (`port` 0 resolved). */
    addresses: ListenAddress[];
    service: ServiceIdentity;
  };
  workers?: WorkerStatus[];
  restarts?: Partial<Record<ExitReason, number>>;
}

/** Any frame on the control socket. */
export type Frame = WorkerMessage | MasterMessage | ControlRequest | ControlResponse;

// ---- exit codes ------------------------------------------------------------

/**
 * Appended to a Unix socket's path to name the staging socket worker 1 binds
 * before renaming it into place: the master grants both paths and checks
 * both fit a socket's path.
 */
export const UNIX_STAGING_SUFFIX = ".new";

/**
 * Exit codes with a meaning. A worker exiting with a boot code during the
 * initial start halts the master with {@linkcode ExitCode.WorkerBootError}
 * instead of respawning it in a loop (Gunicorn's rule).
 */
export const ExitCode = {
  Ok: 0,
  /** Unexpected failure. */
  Error: 1,
  /** Bad configuration or usage; nothing was started. */
  Usage: 2,
  /** A worker failed to boot during the initial start (the master's exit code). */
  WorkerBootError: 3,
  /** The app module could not be imported or has the wrong shape. */
  AppLoadError: 4,
  /** An address was already in use or could not be bound. */
  BindError: 5,
  /** The worker lost its master (channel closed). */
  Orphaned: 6,
} as const;

/**
 * The import probe's exit codes (`src/worker/import_probe.ts`, run for `preload` and `check`):
 * `loaded` when everything loaded (0 is then the app's own `Deno.exit(0)`); the others when it
 * reports a problem itself, in one line on stderr.
 */
export const PROBE_EXIT = { loaded: 10, import: 11, unreachable: 12 } as const;

/**
 * Set in the environment of a program that calls `serve()` when the master runs it as the
 * import probe: `serve()`, reached once the program's own imports loaded, then checks what
 * the probe checks and exits with a {@linkcode PROBE_EXIT} code instead of serving. Its value
 * is the probe's arguments, as JSON ({@linkcode ProbeArgs}).
 */
export const PROBE_ENV = "_HERD_PROBE";

/** What the import probe loads and checks. */
export interface ProbeArgs {
  /** The app to import; empty when there is none to import (a program imported its own). */
  app: string;
  /** config.ts, when workers import it (worker hooks); empty otherwise. */
  config: string;
  /** `log:PATH` and `control:PATH` entries the workers' user must be able to reach. */
  paths: string[];
}

/** One of {@linkcode ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Error for a frame that is not valid JSON, too long, or not an object with a `type`. */
export class ProtocolError extends Error {
  /**
   * @example
   * ```ts
   * throw new ProtocolError("Frame too long: 2000000 bytes");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/**
 * Encodes one frame, newline included.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./protocol.ts";
 * encodeFrame({ type: "stop" }); // Uint8Array of '{"type":"stop"}\n'
 * ```
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(frame) + "\n");
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new ProtocolError(`Frame too long: ${bytes.length} bytes`);
  }
  return bytes;
}

/**
 * Decodes one frame's text (without its newline).
 *
 * @example
 * ```ts
 * import { decodeFrame } from "./protocol.ts";
 * decodeFrame('{"type":"stop"}'); // { type: "stop" }
 * ```
 */
export function decodeFrame(line: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`Frame is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (
    value === null || typeof value !== "object" ||
    typeof (value as { type?: unknown }).type !== "string"
  ) {
    throw new ProtocolError("Frame is not an object with a type");
  }
  return value as Frame;
}
