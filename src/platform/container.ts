/**
 * Container detection, for one warning: a server bound to the loopback
 * address inside a container cannot be reached through the published port.
 * It is Gunicorn's most common Docker pitfall, and the fix is one variable.
 *
 * ```ts
 * import { inContainer, loopbackInContainerWarning } from "./container.ts";
 * const warning = loopbackInContainerWarning("127.0.0.1", inContainer());
 * if (warning) console.warn(warning);
 * ```
 *
 * @module
 */
import { type ReadText, readTextOrNull } from "./read_text.ts";

const RUNTIME_MARKERS = ["/.dockerenv", "/run/.containerenv"];
const INIT_CGROUP = /docker|kubepods|containerd|lxc|libpod/;

/** Where {@linkcode inContainer} looks; both are replaceable in tests. */
export interface ContainerProbe {
  /** Reads a file; `null` when absent. Default: the real file system. */
  readText?: ReadText;
  /** Reads an environment variable. Default: `Deno.env.get` when permitted. */
  getEnv?: (name: string) => string | undefined;
}

/**
 * Whether this process runs inside a container: Docker's `/.dockerenv`,
 * Podman's `/run/.containerenv`, a Kubernetes pod's
 * `KUBERNETES_SERVICE_HOST`, or a container runtime named in
 * `/proc/1/cgroup` (cgroup v1; under v2 with namespaces it only says `0::/`).
 *
 * @example
 * ```ts
 * import { inContainer } from "./container.ts";
 * inContainer({ readText: () => null, getEnv: () => undefined }); // false
 * inContainer({ readText: (p) => (p === "/.dockerenv" ? "" : null) }); // true
 * ```
 */
export function inContainer(probe: ContainerProbe = {}): boolean {
  const readText = probe.readText ?? readTextOrNull;
  const getEnv = probe.getEnv ?? envOrUndefined;
  if (RUNTIME_MARKERS.some((path) => readText(path) !== null)) return true;
  if (getEnv("KUBERNETES_SERVICE_HOST")) return true;
  return INIT_CGROUP.test(readText("/proc/1/cgroup") ?? "");
}

/**
 * The warning for a loopback `host` inside a container, or `null` when
 * there is nothing to warn about. `prefix` names the environment variables
 * (`HERD` by default); `origin` says where a configured host came from.
 *
 * @example
 * ```ts
 * import { loopbackInContainerWarning } from "./container.ts";
 * loopbackInContainerWarning("127.0.0.1", true);
 * // 'Host is "127.0.0.1" inside a container: the server is unreachable from outside; set HOST=0.0.0.0 (or HERD_HOST)'
 * loopbackInContainerWarning("127.0.0.1", true, "APP", "APP_HOST (environment)");
 * // '… unreachable from outside; it comes from APP_HOST (environment): set that to 0.0.0.0'
 * loopbackInContainerWarning("0.0.0.0", true); // null
 * ```
 */
export function loopbackInContainerWarning(
  host: string,
  inContainer: boolean,
  prefix = "HERD",
  origin?: string,
): string | null {
  if (!inContainer || !isLoopback(host)) return null;
  // Set somewhere: that is what to change (HOST would lose to it). Else the variables.
  const fix = origin === undefined
    ? `set HOST=0.0.0.0 (or ${prefix}_HOST)`
    : `it comes from ${origin}: set that to 0.0.0.0`;
  return `Host is ${JSON.stringify(host)} inside a container: the server is unreachable ` +
    `from outside; ${fix}`;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

function envOrUndefined(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
