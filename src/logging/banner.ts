/**
 * The few lines the master prints when it starts: what runs, where it
 * listens, and where its logs go. Pure: the caller shows the lines (on a
 * terminal, or as lines of the error log).
 *
 * @example
 * ```ts
 * import { formatBanner } from "./banner.ts";
 * for (const line of formatBanner({
 *   version: "0.1.0", pid: 123, addresses: ["0.0.0.0:8080"], workers: 4,
 *   workerClass: "async", env: "production", accessLog: "logs/access.log",
 *   errorLog: "logs/error.log", configPath: "/app/config.ts", app: "app.ts",
 *   logFormat: "text",
 * })) console.log(line);
 * // Herd 0.1.0 (pid 123) — production
 * // Listening at: http://0.0.0.0:8080
 * // Workers: 4 (async)
 * // Access log: logs/access.log · Error log: logs/error.log
 * // Config: /app/config.ts
 * // App: app.ts
 * ```
 *
 * @module
 */

/** What the banner shows. */
export interface BannerInfo {
  version: string;
  pid: number;
  /** `host:port` or full URLs; `http://` is added when missing. */
  addresses: string[];
  workers: number;
  workerClass: string;
  /** The settings profile, e.g. `production`. */
  env: string;
  /** A path, `-` for stdout, or null when off. */
  accessLog: string | null;
  /** A path, or `-` for stderr. */
  errorLog: string;
  /** The config.ts in use, `given to serve()` for an embedding program's config, or null. */
  configPath: string | null;
  /** The app served: its path, `given to serve()`, or null for Herd's default app. */
  app: string | null;
  /** `text` or `json`; shown only when it is not the default text. */
  logFormat: string;
}

/** How the banner is rendered. */
export interface BannerOptions {
  /** Wrap the parts in ANSI colours (only for a TTY). @default {false} */
  color?: boolean;
}

type Paint = (text: string) => string;

function painter(color: boolean, code: string): Paint {
  return color ? (text) => `\x1b[${code}m${text}\x1b[0m` : (text) => text;
}

function logTarget(target: string | null, stream: string): string {
  if (target === null) return "off";
  return target === "-" ? stream : target;
}

/**
 * Formats the startup banner as lines without newlines.
 *
 * @example
 * ```ts
 * import { formatBanner } from "./banner.ts";
 * const lines = formatBanner({
 *   version: "0.1.0", pid: 1, addresses: ["[::1]:8000"], workers: 1, workerClass: "async",
 *   env: "development", accessLog: "-", errorLog: "-", configPath: null, app: null,
 *   logFormat: "text",
 * }, { color: true });
 * ```
 */
export function formatBanner(info: BannerInfo, options: BannerOptions = {}): string[] {
  const color = options.color ?? false;
  const bold = painter(color, "1");
  const cyan = painter(color, "36");
  const dim = painter(color, "2");
  const urls = info.addresses.map((a) =>
    cyan(a.includes("://") || a.startsWith("unix:") ? a : `http://${a}`)
  );
  const format = info.logFormat === "text" ? "" : ` (${info.logFormat})`;
  return [
    `${bold(`Herd ${info.version}`)} (pid ${info.pid}) — ${info.env}`,
    `${dim("Listening at:")} ${urls.length > 0 ? urls.join(", ") : "nothing"}`,
    `${dim("Workers:")} ${info.workers} (${info.workerClass})`,
    `${dim("Access log:")} ${logTarget(info.accessLog, "stdout")} · ` +
    `${dim("Error log:")} ${logTarget(info.errorLog, "stderr")}${format}`,
    `${dim("Config:")} ${info.configPath ?? "none (defaults, environment and flags)"}`,
    `${dim("App:")} ${info.app ?? "Herd's default app (give one: serve app.ts)"}`,
  ];
}
