/**
 * Effective CPU count for `workers=auto`: the CPUs this process may run on
 * (sched affinity), capped by its cgroup CPU quota.
 *
 * A container given `--cpus=2` on a 64-core host still sees 64 cores in
 * `/proc/cpuinfo`; starting 64 workers there would only make them fight
 * for two CPUs' worth of time. The quota lives in the cgroup file system:
 *
 * - cgroup v2: `/proc/self/cgroup` has a `0::<path>` line and
 *   `<mount><path>/cpu.max` holds `"<quota> <period>"` or `"max <period>"`.
 * - cgroup v1: the `cpu` controller's `cpu.cfs_quota_us` (`-1` = none)
 *   divided by `cpu.cfs_period_us`.
 *
 * A parent cgroup's quota also binds its children, so every level up to the
 * mount is read and the smallest quota wins. Hybrid hosts mount both
 * hierarchies (v2 without the cpu controller); both are read and the
 * smaller quota wins. Deno 2.9 needs `--allow-all` to read these files;
 * without it the quota is ignored and the affinity count is used.
 *
 * ```ts
 * import { effectiveCpuCount } from "./cpus.ts";
 * effectiveCpuCount(); // 2
 * ```
 *
 * @module
 */
import { type ReadText, readTextOrNull } from "./read_text.ts";

/**
 * Parses a cgroup v2 `cpu.max` file into a number of CPUs (possibly
 * fractional), or `null` for no quota or unreadable text.
 *
 * @example
 * ```ts
 * import { parseCpuMax } from "./cpus.ts";
 * parseCpuMax("200000 100000\n"); // 2
 * parseCpuMax("max 100000\n"); // null
 * ```
 */
export function parseCpuMax(text: string): number | null {
  const [quota, period = "100000"] = text.trim().split(/\s+/);
  if (quota === "max") return null;
  return ratio(quota, period);
}

/**
 * Parses cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` into a
 * number of CPUs (possibly fractional), or `null` when there is no quota
 * (`-1`) or the text is not a number.
 *
 * @example
 * ```ts
 * import { parseCfsQuota } from "./cpus.ts";
 * parseCfsQuota("150000", "100000"); // 1.5
 * parseCfsQuota("-1", "100000"); // null
 * ```
 */
export function parseCfsQuota(quota: string, period: string): number | null {
  return ratio(quota.trim(), period.trim());
}

/**
 * The cgroup CPU quota of this process, rounded up to whole CPUs, or
 * `null` when there is none or it cannot be read. Every path is read
 * through `readText`, so tests pass sample files.
 *
 * @example
 * ```ts
 * import { cgroupCpuLimit } from "./cpus.ts";
 * const files: Record<string, string> = {
 *   "/proc/self/cgroup": "0::/\n",
 *   "/sys/fs/cgroup/cpu.max": "200000 100000\n",
 * };
 * cgroupCpuLimit((path) => files[path] ?? null); // 2
 * ```
 */
export function cgroupCpuLimit(readText: ReadText): number | null {
  const membership = readText("/proc/self/cgroup");
  if (membership === null) return null;
  const paths = parseProcCgroup(membership);
  const mounts = parseMountinfo(readText("/proc/self/mountinfo") ?? "");
  const limits: number[] = [];
  if (paths.v2 !== null) {
    for (const dir of cgroupDirs(mounts.v2 ?? { root: "/", point: "/sys/fs/cgroup" }, paths.v2)) {
      const text = readText(`${dir}/cpu.max`);
      const cpus = text === null ? null : parseCpuMax(text);
      if (cpus !== null) limits.push(cpus);
    }
  }
  if (paths.v1 !== null) {
    const mount = mounts.v1 ?? { root: "/", point: "/sys/fs/cgroup/cpu" };
    for (const dir of cgroupDirs(mount, paths.v1)) {
      const quota = readText(`${dir}/cpu.cfs_quota_us`);
      const period = readText(`${dir}/cpu.cfs_period_us`);
      const cpus = quota === null || period === null ? null : parseCfsQuota(quota, period);
      if (cpus !== null) limits.push(cpus);
    }
  }
  return limits.length === 0 ? null : Math.max(1, Math.ceil(Math.min(...limits)));
}

/** Where {@linkcode effectiveCpuCount} looks; both are replaceable in tests. */
export interface CpuCountOptions {
  /** Reads `/proc` and `/sys` files. Default: the real file system. */
  readText?: ReadText;
  /** CPUs allowed by sched affinity. Default: `navigator.hardwareConcurrency`. */
  hardwareConcurrency?: number;
}

/**
 * The number of CPUs this process may use: the affinity-aware
 * `navigator.hardwareConcurrency`, capped by the cgroup quota, at least 1.
 *
 * @example
 * ```ts
 * import { effectiveCpuCount } from "./cpus.ts";
 * effectiveCpuCount(); // 2
 * effectiveCpuCount({ hardwareConcurrency: 64, readText: () => null }); // 64
 * ```
 */
export function effectiveCpuCount(options: CpuCountOptions = {}): number {
  const available = options.hardwareConcurrency ?? navigator.hardwareConcurrency ?? 1;
  const quota = cgroupCpuLimit(options.readText ?? readTextOrNull);
  return Math.max(1, Math.min(available, quota ?? Infinity));
}

interface CgroupPaths {
  /** Path of the `0::` line (cgroup v2), or null. */
  v2: string | null;
  /** Path of the line whose controllers include `cpu` (cgroup v1), or null. */
  v1: string | null;
}

/** A cgroup hierarchy's mount: `root` is the cgroup shown at `point`. */
interface CgroupMount {
  root: string;
  point: string;
}

function parseProcCgroup(text: string): CgroupPaths {
  const paths: CgroupPaths = { v2: null, v1: null };
  for (const line of text.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, path] = match;
    if (id === "0" && controllers === "") paths.v2 = path;
    else if (controllers.split(",").includes("cpu")) paths.v1 = path;
  }
  return paths;
}

// mountinfo: "id parent dev root point options [tags...] - fstype source superoptions".
function parseMountinfo(text: string): { v2: CgroupMount | null; v1: CgroupMount | null } {
  const mounts: { v2: CgroupMount | null; v1: CgroupMount | null } = { v2: null, v1: null };
  for (const line of text.split("\n")) {
    const [before, after] = line.split(" - ");
    if (after === undefined) continue;
    const fields = before.split(" ");
    const [fstype, , superOptions = ""] = after.split(" ");
    const mount = { root: unescapeOctal(fields[3]), point: unescapeOctal(fields[4]) };
    if (fstype === "cgroup2") mounts.v2 ??= mount;
    else if (fstype === "cgroup" && superOptions.split(",").includes("cpu")) mounts.v1 ??= mount;
  }
  return mounts;
}

// The process's cgroup directory, then each parent up to the mount point.
// Without a cgroup namespace the path includes the mount's root, which the
// mount point already stands for, so it is cut off first.
function cgroupDirs(mount: CgroupMount, path: string): string[] {
  const root = mount.root === "/" ? "" : mount.root;
  const relative = root !== "" && path.startsWith(root) ? path.slice(root.length) : path;
  const parts = relative.split("/").filter((part) => part !== "");
  const dirs: string[] = [];
  for (let depth = parts.length; depth >= 0; depth--) {
    dirs.push([mount.point.replace(/\/$/, ""), ...parts.slice(0, depth)].join("/"));
  }
  return dirs;
}

function ratio(quota: string, period: string): number | null {
  const q = Number(quota);
  const p = Number(period);
  if (!/^\d+$/.test(quota) || !/^\d+$/.test(period) || q <= 0 || p <= 0) return null;
  return q / p;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescapeOctal(text = ""): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}
