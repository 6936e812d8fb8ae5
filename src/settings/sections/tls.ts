/**
 * Settings of the section "TLS": the certificate and key every worker
 * serves HTTPS with. Both or neither; the master checks that the pair loads
 * and matches before any worker starts, and again on each reload (HUP), so a
 * renewed certificate takes effect without a restart.
 *
 * @example
 * ```ts
 * import { tlsSettings } from "./tls.ts";
 * tlsSettings.map((s) => s.name); // ["certfile", "keyfile"]
 * ```
 *
 * @module
 */
import { defineSetting } from "../setting.ts";
import { optional, text } from "../coerce.ts";

const SECTION = "TLS";

/** The settings of this section, in documentation order. */
export const tlsSettings = [
  defineSetting({
    name: "certfile",
    section: SECTION,
    meta: "PATH",
    parse: optional(text({ accepted: "a path to a PEM certificate (chain)" })),
    default: null,
    doc:
      "PEM certificate chain: every TCP address serves HTTPS (HTTP/2 by ALPN). Needs `keyfile`. Re-read on reload (HUP).",
  }),
  defineSetting({
    name: "keyfile",
    section: SECTION,
    meta: "PATH",
    parse: optional(text({ accepted: "a path to a PEM private key" })),
    default: null,
    doc: "PEM private key of `certfile`. Re-read on reload (HUP).",
  }),
] as const;
