/**
 * `herd status` and `herd reopen-logs`: one request to the running master
 * over its control socket, found from the same configuration as `serve`.
 *
 * ```sh
 * herd status            # one row per worker, then restarts by reason
 * herd status --json     # the master's answer as JSON
 * herd reopen-logs       # after logrotate moved the files
 * ```
 *
 * @module
 */
import { type Channel, connectChannel } from "../ipc/channel.ts";
import {
  CONTROL_SOCKET_NAME,
  controlSocketPath,
  movedAsidePath,
  userControlDirectory,
} from "../ipc/control_path.ts";
import { after } from "../platform/timer.ts";
import { probeSocket } from "../master/unix_socket.ts";
import type { ControlRequest, ControlResponse, WorkerStatus } from "../ipc/protocol.ts";
import { originsOf, type Resolved } from "../settings/resolved.ts";
import { hostPort } from "../settings/addresses.ts";

/**
 * Prints the running master's workers; exit 1 when no master answers.
 *
 * @example
 * ```ts
 * import { runStatus } from "./control_commands.ts";
 * // const code = await runStatus(resolved, { json: false });
 * ```
 */
export async function runStatus(resolved: Resolved, options: { json: boolean }): Promise<number> {
  const response = await ask(resolved, "status");
  if (typeof response === "string") return fail(response);
  if (options.json) console.log(JSON.stringify(response, null, 2));
  else console.log(formatStatus(response));
  return 0;
}

/**
 * Asks the running master to reopen its logs and its workers'.
 *
 * @example
 * ```ts
 * import { runReopenLogs } from "./control_commands.ts";
 * // const code = await runReopenLogs(resolved);
 * ```
 */
export async function runReopenLogs(resolved: Resolved): Promise<number> {
  const response = await ask(resolved, "reopen_logs");
  if (typeof response === "string") return fail(response);
  console.log("Logs reopened");
  return 0;
}

/**
 * The `status` table: the master line, one row per worker, restarts.
 */
function formatStatus(response: ControlResponse): string {
  const lines: string[] = [];
  const m = response.master;
  if (m) {
    lines.push(
      `Master ${m.pid} (herd ${m.version}), ${m.targetWorkers} worker${
        m.targetWorkers === 1 ? "" : "s"
      }, started ${m.startedAt}`,
    );
  }
  const header = ["ID", "PID", "GEN", "STATE", "AGE", "SERVED", "IN FLIGHT", "RSS"];
  const rows = (response.workers ?? []).map(row);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const cells of [header, ...rows]) {
    lines.push(cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  }
  const restarts = Object.entries(response.restarts ?? {}).map(([r, n]) => `${r} ${n}`);
  lines.push(`Restarts: ${restarts.length > 0 ? restarts.join(", ") : "none"}`);
  return lines.join("\n");
}

function row(w: WorkerStatus): string[] {
  return [
    String(w.id),
    String(w.pid),
    String(w.generation),
    w.state,
    `${w.ageS.toFixed(1)}s`,
    String(w.served),
    String(w.inFlight),
    w.rss > 0 ? `${(w.rss / 1024 / 1024).toFixed(1)} MB` : "-",
  ];
}

// Resolves with the master's answer, or a one-line reason there is none.
async function ask(
  resolved: Resolved,
  command: ControlRequest["command"],
): Promise<ControlResponse | string> {
  const found = await findMaster(resolved);
  if (typeof found === "string") return found;
  return await requestMaster(found.channel, found.path, command);
}

/**
 * Sends `command` on `channel` (connected to the master at `path`) and resolves with the
 * answer, or a one-line reason there is none, within `timeoutMs`. Closes the channel.
 *
 * @example
 * ```ts
 * import { requestMaster } from "./control_commands.ts";
 * import { connectChannel } from "../ipc/channel.ts";
 * const path = "/tmp/herd-0/127.0.0.1_8080/control.sock";
 * await requestMaster(await connectChannel(path), path, "status");
 * ```
 */
export async function requestMaster(
  channel: Channel,
  path: string,
  command: ControlRequest["command"],
  timeoutMs: number = ANSWER_TIMEOUT_MS,
): Promise<ControlResponse | string> {
  // A stopped (SIGSTOP, a frozen VM) or wedged master would hold logrotate's postrotate, and
  // cron behind it, for good. A master hook may hold the master up to 10 s: more than that.
  let timedOut = false;
  const timer = after(timeoutMs, () => {
    timedOut = true;
    channel.close();
  });
  const silent = () =>
    `The master at ${path} did not answer within ${
      timeoutMs / 1000
    } s (stopped, stuck in a hook, or out of file descriptors?)`;
  try {
    await channel.send({ type: "request", command });
    for await (const frame of channel) {
      if (frame.type !== "response") continue;
      return frame.ok
        ? frame
        : `The master could not do "${command.replaceAll("_", "-")}": ${
          frame.error ?? "no reason"
        }`;
    }
    return timedOut ? silent() : `The master at ${path} closed the connection without answering`;
  } catch (error) {
    if (timedOut) return silent();
    throw error;
  } finally {
    timer.cancel();
    channel.close();
  }
}

/** How long `status` and `reopen-logs` wait for the master's answer. */
const ANSWER_TIMEOUT_MS = 15_000;

// Connects to the master the configuration names. Without `control_socket`, the path comes from
// host and port, which the profile changes (production listens on 0.0.0.0): when no master
// answers there, this user's one master on the same port is meant, or, when no port was
// given, this user's only master.
async function findMaster(
  resolved: Resolved,
): Promise<{ channel: Channel; path: string } | string> {
  const path = controlSocketPath(resolved.settings);
  const first = await connect(path);
  if (first !== null) return first;
  // During a USR2 upgrade the old master answers at `.oldbin` until the new one listens.
  const aside = await connect(movedAsidePath(path));
  if (aside !== null && typeof aside !== "string") {
    console.error(
      `No master at ${path} yet (an upgrade under way?); asking the one at ${aside.path}`,
    );
    return aside;
  }
  if (resolved.settings.control_socket !== null) return noMaster(path);
  const others = await answeringSockets(userControlDirectory());
  // One on the same port (another host) first; else, when no port was asked for, the only one.
  // A master's directory is named for its binds, `+` between them (`127.0.0.1_8080+unix_…`).
  const samePort = others.filter((o) => servesPort(o, resolved.settings.port));
  const portGiven = resolved.sources.port !== "default" || resolved.sources.bind !== "default";
  const only = samePort.length === 1
    ? samePort[0]
    : others.length === 1 && !portGiven
    ? others[0]
    : null;
  if (only !== null) {
    const other = await connect(only);
    if (typeof other !== "string" && other !== null) {
      console.error(`No master at ${path}; asking the one at ${only}`);
      return other;
    }
  }
  const listed = others.slice(0, 3).map((o) => `"${o}"`).join(", ") +
    (others.length > 3 ? ` and ${others.length - 3} more` : "");
  if (!portGiven) {
    const hint = others.length > 0
      ? `; ${
        others.length === 1 ? "a master answers" : "masters answer"
      } at ${listed}: pick one with --control-socket`
      : "";
    return noMaster(path) + hint;
  }
  // The address asked for has no master: that is the answer, the others are only a hint.
  const hint = others.length > 0
    ? `; ${others.length === 1 ? "another master answers" : "other masters answer"} at ${listed}`
    : "";
  return `No Herd master runs for ${askedFor(resolved)}: ${noMaster(path, "nothing")}${hint}`;
}

// A master opens its socket once the app is loaded (the preload, up to boot_timeout).
function noMaster(path: string, who = "No Herd master"): string {
  return `${who} answers at ${path} (a master starting opens it once its app is loaded)`;
}

// The address the user named and where (`127.0.0.1:8000 ("port" from --port (command line))`).
function askedFor(resolved: Resolved): string {
  const { settings } = resolved;
  const [address, name] = settings.bind.length > 0
    ? [settings.bind.join(", "), "bind" as const]
    : [hostPort({ hostname: settings.host, port: settings.port }), "port" as const];
  return `${address} (${originsOf(resolved)(name)})`;
}

// The channel, null when nothing answers, or why the socket is out of reach.
async function connect(path: string): Promise<{ channel: Channel; path: string } | string | null> {
  try {
    return { channel: await connectChannel(path), path };
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) return null;
    // The socket is the master's (0600, or 0660 for the workers' group): say whose.
    const owner = await Deno.stat(path).then((info) => info.uid, () => null);
    return `Permission denied on the control socket "${path}": run this as the user ` +
      `that started the master${owner === null ? "" : ` (uid ${owner})`}`;
  }
}

/** A master that answered `status`, and where. */
export interface RunningMaster {
  /** Its control socket. */
  path: string;
  master: NonNullable<ControlResponse["master"]>;
}

/**
 * This user's masters, each at its control socket, as they answer `status` within
 * `timeoutMs` (one that does not is left out): `extra` paths first (a `control_socket` set
 * elsewhere than this user's directory), then every one in that directory.
 *
 * @example
 * ```ts
 * import { runningMasters } from "./control_commands.ts";
 * for (const { path, master } of await runningMasters()) console.log(path, master.pid);
 * ```
 */
export async function runningMasters(
  extra: readonly string[] = [],
  timeoutMs = STATUS_PROBE_MS,
): Promise<RunningMaster[]> {
  const paths = new Set(extra);
  for (const path of await answeringSockets(userControlDirectory())) paths.add(path);
  // All at once: a stopped master costs `timeoutMs` once, not once per master after it.
  const answers = await Promise.all([...paths].map(async (path) => {
    const link = await connect(path);
    if (link === null || typeof link === "string") return null;
    const answer = await requestMaster(link.channel, path, "status", timeoutMs);
    return typeof answer !== "string" && answer.master ? { path, master: answer.master } : null;
  }));
  return answers.filter((found) => found !== null);
}

/** How long `check` waits for each master's `status`. */
const STATUS_PROBE_MS = 2000;

// A master's directory is named for its binds, `+` between them (`127.0.0.1_8080+unix_…`).
function bindsOf(socketPath: string): string[] {
  return socketPath.split("/").at(-2)!.split("+");
}

function servesPort(socketPath: string, port: number): boolean {
  return tcpPortsOf(socketPath).includes(port);
}

// NaN for a bind whose name gives no port (`unix_…` aside): one written without it, or one
// cut short where a long name is hashed.
function tcpPortsOf(socketPath: string): number[] {
  return bindsOf(socketPath).filter((bind) => !bind.startsWith("unix_"))
    .map((bind) => Number(/_(\d+)$/.exec(bind)?.[1]));
}

// The sockets a master answers on in `dir` (this user's directory, one directory per master).
async function answeringSockets(dir: string): Promise<string[]> {
  const paths: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) paths.push(`${dir}/${entry.name}/${CONTROL_SOCKET_NAME}`);
    }
  } catch {
    // No directory: no master of this user has run here.
  }
  const answers = await Promise.all(paths.map((path) => probeSocket(path)));
  return paths.filter((_, i) => answers[i].answers).sort();
}

function fail(message: string): number {
  console.error(`error: ${message}`);
  return 1;
}
