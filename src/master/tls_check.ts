/**
 * Checks the TLS pair (`certfile`, `keyfile`) in the master, before any
 * worker starts and again before each reload: the files are read and handed
 * to a throwaway `Deno.listenTls` on an ephemeral loopback port, which is
 * exactly the check `Deno.serve` applies in the workers (rustls rejects a
 * key that does not match the certificate). A bad pair becomes one line
 * naming the file at fault, instead of N workers failing in turn.
 *
 * @example
 * ```ts
 * import { checkTlsPair } from "./tls_check.ts";
 * const problem = await checkTlsPair({ certfile: "cert.pem", keyfile: "key.pem" });
 * if (problem) console.error(`error: ${problem}`);
 * ```
 *
 * @module
 */
import { osErrorReason } from "../error_text.ts";
import type { TlsPair } from "../ipc/protocol.ts";

/** The TLS settings, as resolved. */
export interface TlsFiles {
  certfile: string | null;
  keyfile: string | null;
}

/**
 * The pair as read and accepted now: the PEM texts the workers are given
 * (so a file changed on disk after this check never reaches a worker), null
 * when TLS is off, or one line saying which file is wrong and why.
 *
 * @example
 * ```ts
 * import { loadTlsPair } from "./tls_check.ts";
 * await loadTlsPair({ certfile: null, keyfile: null }); // null: TLS is off
 * ```
 */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair | null | string> {
  const { certfile, keyfile } = files;
  if (certfile === null || keyfile === null) return null;
  const cert = await readPem(certfile, "certfile");
  if (typeof cert !== "string") return cert.problem;
  const key = await readPem(keyfile, "keyfile");
  if (typeof key !== "string") return key.problem;
  // rustls reads no passphrase: it would say the file holds no key at all.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key)) {
    return `Key "${keyfile}" (keyfile) is encrypted with a passphrase, which Herd cannot ` +
      `read: decrypt it (openssl pkey -in KEY -out PLAIN_KEY) and keep that file private`;
  }
  try {
    // Port 0: nothing stays bound; this only asks rustls whether it accepts the pair.
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key }).close();
    return { cert, key };
  } catch (error) {
    return describeTlsError(error, { certfile, keyfile });
  }
}

/**
 * Null when TLS is off or the pair loads and matches; otherwise one line
 * saying which file is wrong and why.
 *
 * @example
 * ```ts
 * import { checkTlsPair } from "./tls_check.ts";
 * await checkTlsPair({ certfile: null, keyfile: null }); // null: TLS is off
 * ```
 */
export async function checkTlsPair(files: TlsFiles): Promise<string | null> {
  const pair = await loadTlsPair(files);
  return typeof pair === "string" ? pair : null;
}

/**
 * Pure: turns the runtime's TLS error (or its message) into a line naming the culprit file.
 *
 * @example
 * ```ts
 * import { describeTlsError } from "./tls_check.ts";
 * describeTlsError("keys may not be consistent: KeyMismatch", { certfile: "c.pem", keyfile: "k.pem" });
 * // 'Key "k.pem" (keyfile) does not match certificate "c.pem" (certfile)'
 * ```
 */
export function describeTlsError(
  error: unknown,
  files: { certfile: string; keyfile: string },
): string {
  const { certfile, keyfile } = files;
  const reason = osErrorReason(error);
  if (/KeyMismatch|not be consistent/i.test(reason)) {
    return `Key "${keyfile}" (keyfile) does not match certificate "${certfile}" (certfile)`;
  }
  if (/no certificates found/i.test(reason)) {
    return `Certificate "${certfile}" (certfile) holds no PEM certificate`;
  }
  if (/no keys found/i.test(reason)) {
    return `Key "${keyfile}" (keyfile) holds no PEM private key`;
  }
  return `Cannot use certificate "${certfile}" with key "${keyfile}": ${reason}`;
}

async function readPem(
  path: string,
  setting: "certfile" | "keyfile",
): Promise<string | { problem: string }> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const what = setting === "certfile" ? "certificate" : "key";
    const reason = osErrorReason(error);
    return { problem: `Cannot read ${what} "${path}" (${setting}): ${reason}` };
  }
}
