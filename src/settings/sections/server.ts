/**
 * Settings of the section "Server": what to serve, where, and as whom.
 *
 * @module
 */
import { CoerceError, defineSetting, type Parser } from "../setting.ts";
import { bool, int, list, oneOf, optional, parser, text } from "../coerce.ts";
import { isHostName } from "../addresses.ts";

const SECTION = "Server";

/** The settings of this section, in documentation order. */
export const serverSettings = [
  defineSetting({
    name: "app",
    section: SECTION,
    meta: "PATH",
    positional: true,
    parse: optional(text({ accepted: "a path to a module" })),
    default: null,
    doc:
      "Module to serve: its default export is `{ fetch(request, info) }` or a handler function. Unset: the embedded default app. A relative path is taken from the working directory, also in config.ts; a `file:` URL as its path.",
  }),
  defineSetting({
    name: "config",
    section: SECTION,
    short: "c",
    meta: "PATH",
    parse: text({ accepted: "a path to a config.ts module" }),
    default: "config.ts",
    doc:
      "Configuration module (`export default defineConfig({...})`). The default `config.ts` is optional; a path given explicitly must exist.",
  }),
  defineSetting({
    name: "env",
    section: SECTION,
    short: "e",
    meta: "PROFILE",
    parse: oneOf(["development", "production"] as const, {
      dev: "development",
      prod: "production",
    }),
    default: "development",
    doc: "Profile: selects the defaults of `host`, `access_log` and `error_log`.",
  }),
  defineSetting({
    name: "env_file",
    section: SECTION,
    meta: "PATH",
    parse: optional(text({ accepted: "a path to a .env file" })),
    default: null,
    doc:
      "`.env` file to read. Unset: `./.env` if it exists. It never overrides a variable already in the environment. Its variables also reach the workers' environment, for the app (which reads them with `worker_permissions`, e.g. `--allow-env=DATABASE_URL`); a HUP re-reads it.",
  }),
  defineSetting({
    name: "env_prefix",
    section: SECTION,
    meta: "PREFIX",
    env: false,
    parse: text({ pattern: /^[A-Z][A-Z0-9_]*$/, accepted: "upper-case letters, digits and _" }),
    default: "HERD",
    doc:
      "Prefix of the environment variables Herd reads (`<PREFIX>_WORKERS`, ...). Settable on the CLI and in config.ts (`envPrefix`).",
  }),
  defineSetting({
    name: "host",
    section: SECTION,
    meta: "HOST",
    parse: parser("string", hostName),
    default: { development: "127.0.0.1", production: "0.0.0.0" },
    doc:
      "Interface to listen on, used when `bind` is not set. `HOST` (set by container images) is honoured when no host is configured.",
  }),
  defineSetting({
    name: "port",
    section: SECTION,
    short: "p",
    meta: "INT",
    parse: int({ min: 0, max: 65535 }),
    default: 8080,
    doc:
      "TCP port, used when `bind` is not set. `PORT` (set by container platforms) is honoured when no port is configured. 0 picks a free port.",
  }),
  defineSetting({
    name: "bind",
    section: SECTION,
    short: "b",
    meta: "ADDRESS",
    repeatable: true,
    parse: list(text({ accepted: "HOST:PORT, [IPV6]:PORT or unix:PATH" })),
    default: [] as string[],
    doc:
      "Addresses to listen on (repeatable, or comma-separated): `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`. Overrides `host` and `port`, unless one of them is given from a higher-precedence source (`--port` over a `bind` in config.ts): then that address is served instead, with a warning. One it overrides though it was configured too (`-p 9000 -b 127.0.0.1:9001`) is named in a warning.",
  }),
  defineSetting({
    name: "unix_socket_mode",
    section: SECTION,
    meta: "MODE",
    parse: parser("string", fileMode, "number"),
    default: "0660",
    doc:
      "File mode of each `unix:PATH` socket Herd creates (octal; in config.ts also a number, `0o660`). The socket is removed on a clean stop.",
  }),
  defineSetting({
    name: "preload",
    section: SECTION,
    boolean: true,
    parse: bool(),
    default: true,
    doc:
      "Import the app once before any worker starts, in a throwaway process with the workers' permissions and user (never in the master), so an app that cannot load stops Herd at once (exit 4).",
  }),
  defineSetting({
    name: "pidfile",
    section: SECTION,
    meta: "PATH",
    parse: optional(text({ accepted: "a file path" })),
    default: null,
    doc: "Write the master's PID to this file; removed on exit.",
  }),
  defineSetting({
    name: "control_socket",
    section: SECTION,
    meta: "PATH",
    parse: optional(text({ pattern: /^\//, accepted: "an absolute socket path" })),
    default: null,
    doc:
      "The master's control socket (for workers, `status` and `reopen-logs`): an absolute path. Unset: derived from the bind addresses, in a private directory. The mode of a directory that already exists is left alone.",
  }),
  defineSetting({
    name: "user",
    section: SECTION,
    short: "u",
    meta: "USER",
    parse: optional(text({ accepted: "a user name or uid" })),
    default: null,
    doc: "Run workers as this user (name or uid). Needs the master to start as root.",
  }),
  defineSetting({
    name: "group",
    section: SECTION,
    short: "g",
    meta: "GROUP",
    parse: optional(text({ accepted: "a group name or gid" })),
    default: null,
    doc: "Run workers as this group (name or gid).",
  }),
  defineSetting({
    name: "allow_root",
    section: SECTION,
    boolean: true,
    parse: bool(),
    default: false,
    doc:
      "In `production`, allow workers to run as root. Off: a master started as root must be given `user`.",
  }),
  defineSetting({
    name: "worker_permissions",
    section: SECTION,
    meta: "FLAGS",
    repeatable: true,
    parse: permissionFlags(),
    default: [] as string[],
    doc:
      "Deno permissions added to the workers' narrow defaults (net on the binds, read on the app's directory, write on the logs), e.g. `--allow-net=api.example.com`, `--allow-env=DATABASE_URL` or `--allow-ffi` (not granted otherwise); a string splits on spaces. `all`: `-A`. Script mode only. `serve` and `check` ask Deno first: a flag it refuses (`--allow-sys=umask`) is one line, exit 2.",
  }),
] as const;

// Deno 2.9's permission flags: a misspelt one would otherwise fail every worker's boot.
const PERMISSION_FLAG = /^(all|-A|--allow-(all|read|write|net|env|run|ffi|sys|import)(=\S+)?)$/;

/**
 * True when `worker_permissions` gives the workers every permission (`all`,
 * `-A` or `--allow-all`, which become `-A`).
 *
 * @example
 * ```ts
 * import { grantsAll } from "./server.ts";
 * grantsAll(["--allow-ffi", "all"]); // true
 * grantsAll(["--allow-net"]); // false
 * ```
 */
export function grantsAll(flags: readonly string[]): boolean {
  return flags.some((flag) => flag === "all" || flag === "-A" || flag === "--allow-all");
}

// Each flag may hold commas (`--allow-net=a.com,b.com`), so a string splits on
// whitespace, not on commas as other lists do.
function permissionFlags(): Parser<string[]> {
  return parser("string[]", (raw) => {
    const items = Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : null;
    if (items === null) throw new CoerceError("a list of Deno --allow-* flags, or all");
    if (!items.every((item) => typeof item === "string")) {
      throw new CoerceError("Deno --allow-* flags or all");
    }
    const flags = items.flatMap((item) => item.split(/\s+/)).filter((f) => f !== "");
    for (const flag of flags) {
      if (!PERMISSION_FLAG.test(flag)) {
        throw new CoerceError(`Deno --allow-* flags or all, not ${JSON.stringify(flag)}`);
      }
    }
    return flags;
  }, "string");
}

const FILE_MODE = "an octal file mode, e.g. 0660 (0o660 as a number in config.ts)";
const modeText = text({ pattern: /^0?[0-7]{3}$/, accepted: FILE_MODE });

// config.ts may write a mode as JavaScript does (`0o660`); the setting holds the octal text.
function fileMode(raw: unknown): string {
  if (typeof raw !== "number") return modeText(raw);
  if (!Number.isInteger(raw) || raw < 0 || raw > 0o777) {
    // The value is shown as the number it is; a mode is read in octal (`0o1777` shows as 1023).
    const octal = Number.isInteger(raw) && raw > 0 ? `; ${raw} is 0o${raw.toString(8)}` : "";
    throw new CoerceError(FILE_MODE + octal);
  }
  return `0${raw.toString(8).padStart(3, "0")}`;
}

const hostText = text({ accepted: "a host name or IP address" });

// Checked here, so a typo is named with its source instead of failing every bind.
function hostName(raw: unknown): string {
  // `[::1]` as in a URL or a bind entry means `::1`.
  const host = hostText(raw).replace(/^\[(.*)\]$/, "$1");
  if (!isHostName(host)) throw new CoerceError("a host name or IP address");
  return host;
}
