/**
 * Settings of the section "Logging": the access log, the error log and
 * metrics.
 *
 * @module
 */
import { CoerceError, defineSetting } from "../setting.ts";
import { parseNetwork } from "../../platform/ip_networks.ts";
import { parseBind } from "../addresses.ts";
import { list, oneOf, optional, parser, text } from "../coerce.ts";

const SECTION = "Logging";

/** Gunicorn's default access log format: Apache combined. */
export const COMBINED_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/** The settings of this section, in documentation order. */
export const loggingSettings = [
  defineSetting({
    name: "log_level",
    section: SECTION,
    meta: "LEVEL",
    parse: oneOf(["debug", "info", "warning", "error", "critical"] as const, {
      warn: "warning",
      fatal: "critical",
    }),
    default: "info",
    doc:
      "Least severe error-log level written. `debug` also prints stack traces of configuration errors.",
  }),
  defineSetting({
    name: "error_log",
    section: SECTION,
    meta: "PATH",
    parse: text({ accepted: "a file path, or - for stderr" }),
    default: { development: "-", production: "logs/error.log" },
    doc:
      "Error log: a file path, or `-` for stderr (`/dev/stderr` and `/dev/stdout` name the streams too). The directory is created.",
  }),
  defineSetting({
    name: "access_log",
    section: SECTION,
    meta: "PATH",
    parse: optional(text({ accepted: "a file path, - for stdout, or empty for off" })),
    emptyTurnsOff: true,
    default: { development: "-", production: "logs/access.log" },
    doc:
      "Access log: a file path, `-` for stdout (`/dev/stdout` and `/dev/stderr` name the streams too), or empty (`null` in config.ts) for off.",
  }),
  defineSetting({
    name: "access_log_format",
    section: SECTION,
    meta: "FORMAT",
    parse: text(),
    default: COMBINED_FORMAT,
    doc:
      "Gunicorn-style atoms (`%(h)s`, `%(r)s`, `%({header}i)s`...), or `json` for one JSON object per line. A format with a duration (`%(D)s`, `%(T)s`, `%(M)s`, `%(L)s`, `json`) writes each line once the response's body is sent. README, Logging: where an atom's value differs from Gunicorn's.",
  }),
  defineSetting({
    name: "log_format",
    section: SECTION,
    meta: "FORMAT",
    parse: oneOf(["text", "json"] as const),
    default: "text",
    doc: "Error log format: `text` (coloured only on a TTY) or `json` lines for log collectors.",
  }),
  defineSetting({
    name: "forwarded_allow_ips",
    section: SECTION,
    meta: "IPS",
    parse: list(parser("string", peerEntry)),
    default: ["127.0.0.1", "::1"],
    doc:
      "Peers (a proxy, a load balancer) whose `X-Forwarded-For` is trusted for the client address in the access log, and whose `X-Forwarded-Proto: https` makes the app's `request.url` https (Gunicorn's `secure_scheme_headers`): IP addresses and CIDR networks (`10.0.0.0/8`). `*` trusts all. A peer on a `unix:` bind is trusted, as in Gunicorn: only local processes the socket's permissions admit can connect.",
  }),
  defineSetting({
    name: "metrics_bind",
    section: SECTION,
    meta: "HOST:PORT",
    parse: optional(parser("string", hostPort)),
    default: null,
    doc: "Serve Prometheus metrics at `/metrics` on this address, from the master. Unset: off.",
  }),
] as const;

const peerText = text({ accepted: "IP addresses, CIDR networks, or *" });

function peerEntry(raw: unknown): string {
  const entry = peerText(raw);
  if (entry !== "*" && parseNetwork(entry) === null) {
    throw new CoerceError("IP addresses, CIDR networks (10.0.0.0/8), or *");
  }
  return entry;
}

const hostPortText = text({
  pattern: /^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/,
  accepted: "HOST:PORT",
});

function hostPort(raw: unknown): string {
  const entry = hostPortText(raw);
  try {
    parseBind(entry);
  } catch {
    throw new CoerceError("HOST:PORT, with a valid host and a port of 0 to 65535");
  }
  return entry;
}
