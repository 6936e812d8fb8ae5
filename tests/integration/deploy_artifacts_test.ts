/**
 * The deployment artifacts, checked with the validators this machine has
 * and by running the container entrypoint for real against `main.ts`:
 *
 * - `scripts/*.sh` with shellcheck; `Dockerfile` with hadolint (each skipped
 *   with the reason when the tool is missing).
 * - `deploy/kubernetes.yaml` against the Kubernetes API schema
 *   (`npm:kubernetes-models`), plus the settings Herd depends on.
 * - `scripts/herd.service` with `systemd-analyze verify`, plus its keys.
 * - `scripts/entrypoint.sh` with `HERD_BIN` pointing at a wrapper that runs
 *   `deno run -A main.ts` and records each invocation.
 *
 * @module
 */
// Test-only validators stay out of deno.json's imports, which list what Herd ships with.
// deno-lint-ignore no-import-prefix
import { parseAllDocuments } from "npm:yaml@2.9.1";
// deno-lint-ignore no-import-prefix
import { Deployment } from "npm:kubernetes-models@5.1.0/apps/v1/Deployment";
// deno-lint-ignore no-import-prefix
import { Service } from "npm:kubernetes-models@5.1.0/v1/Service";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, freePort, MAIN, startHerd, until } from "./_harness.ts";
import { ExitCode } from "../../src/ipc/protocol.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const decoder = new TextDecoder();

function hasTool(name: string): boolean {
  try {
    new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

async function run(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; clearEnv?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, ...options, stdin: "null" }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

// ---- shell scripts and Dockerfile -----------------------------------------

const SHELLCHECK = hasTool("shellcheck");
Deno.test({
  name: SHELLCHECK
    ? "scripts/*.sh pass shellcheck"
    : "scripts/*.sh pass shellcheck (skipped: shellcheck is not installed)",
  ignore: !SHELLCHECK,
  async fn() {
    const scripts = [...Deno.readDirSync(`${ROOT}scripts`)]
      .filter((entry) => entry.name.endsWith(".sh"))
      .map((entry) => `${ROOT}scripts/${entry.name}`);
    assert(scripts.length > 0, "no scripts/*.sh found");
    const result = await run("shellcheck", ["--shell=sh", ...scripts]);
    assertEquals(result.code, 0, result.stdout + result.stderr);
  },
});

const HADOLINT = hasTool("hadolint");
Deno.test({
  name: HADOLINT
    ? "Dockerfile passes hadolint"
    : "Dockerfile passes hadolint (skipped: hadolint is not installed; neither apt nor npm packages it)",
  ignore: !HADOLINT,
  async fn() {
    const result = await run("hadolint", [`${ROOT}Dockerfile`]);
    assertEquals(result.code, 0, result.stdout + result.stderr);
  },
});

Deno.test("Dockerfile: two stages, non-root runtime, the settings the entrypoint expects", () => {
  // One instruction per line once backslash continuations are joined.
  const text = Deno.readTextFileSync(`${ROOT}Dockerfile`).replace(/\\\n\s*/g, " ");
  const instructions = text.split("\n").filter((line) => /^[A-Z]+\s/.test(line));
  const from = instructions.filter((line) => line.startsWith("FROM "));
  assertEquals(from, ["FROM denoland/deno:2.9.6 AS build", "FROM debian:bookworm-slim"]);
  const runtime = instructions.slice(instructions.indexOf(from[1]));
  for (
    const expected of [
      /^WORKDIR \/app$/,
      /^ENV HOST=0\.0\.0\.0 PORT=8080 HERD_ENV=production$/,
      /^EXPOSE 8080$/,
      /^STOPSIGNAL SIGTERM$/,
      /^HEALTHCHECK .*\/healthz/,
      /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "\/app\/entrypoint\.sh"\]$/,
      /^CMD \["serve"\]$/,
    ]
  ) {
    assert(runtime.some((line) => expected.test(line)), `runtime stage lacks ${expected}`);
  }
  const user = runtime.find((line) => line.startsWith("USER "));
  assert(user !== undefined && !/^USER (root|0)\b/.test(user), `runtime user: ${user}`);
  // The runtime user owns logs/ only: owning /app, it could rename a file over the binary.
  const owned = runtime.join("\n").match(/install -d -o herd -g herd ([^\n&]*)/)?.[1].trim();
  assertEquals(owned, "/app/logs");
  // The check asks the port Herd listens on: HERD_PORT outranks PORT.
  assert(runtime.some((line) => line.includes("${HERD_PORT:-${PORT:-8080}}")));
  const ignored = Deno.readTextFileSync(`${ROOT}.dockerignore`).split("\n");
  for (const path of [".git", ".env", "dist/"]) assert(ignored.includes(path), path);
});

// ---- Kubernetes -----------------------------------------------------------

Deno.test("kubernetes.yaml is a valid Deployment and Service (API schema)", () => {
  const docs = parseAllDocuments(Deno.readTextFileSync(`${ROOT}deploy/kubernetes.yaml`))
    .map((doc) => doc.toJS());
  assertEquals(docs.map((doc) => doc.kind), ["Deployment", "Service"]);
  // validate() throws with the JSON path of the first schema violation.
  new Deployment(docs[0]).validate();
  new Service(docs[1]).validate();

  const pod = docs[0].spec.template.spec;
  const [container] = pod.containers;
  assertEquals(container.ports[0].containerPort, 8080);
  assertEquals(container.readinessProbe.httpGet.path, "/readyz");
  assertEquals(container.livenessProbe.httpGet.path, "/healthz");
  assert(pod.terminationGracePeriodSeconds > 30, "grace period must exceed graceful_timeout");
  assert(container.lifecycle.preStop.exec.command.includes("sleep"));
  assertEquals(pod.enableServiceLinks, false, "service links would inject HERD_PORT=tcp://...");
  assertEquals(pod.securityContext.runAsNonRoot, true);
  assertEquals(container.securityContext.readOnlyRootFilesystem, true);
  const env = Object.fromEntries(
    container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  assertEquals(env.HERD_ENV, "production");
  assertEquals([env.HERD_ACCESS_LOG, env.HERD_ERROR_LOG], ["-", "-"]);
  assert(container.volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/tmp"));
  assertEquals(docs[1].spec.ports[0].targetPort, "http");
});

// ---- systemd --------------------------------------------------------------

function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) keys.set(match[1], [...(keys.get(match[1]) ?? []), match[2]]);
  }
  return keys;
}

Deno.test("herd.service has the keys for drain, reload, no restart loop and hardening", () => {
  const keys = unitKeys(Deno.readTextFileSync(`${ROOT}scripts/herd.service`));
  const one = (key: string) => keys.get(key)?.at(-1);
  assertEquals(one("Type"), "simple");
  assertEquals(one("ExecStart"), "/usr/local/bin/herd serve");
  assertEquals(one("ExecReload"), "/bin/kill -HUP $MAINPID");
  assertEquals(one("KillSignal"), "SIGTERM");
  assertEquals(one("KillMode"), "mixed");
  assert(Number(one("TimeoutStopSec")) > 30, "TimeoutStopSec must exceed graceful_timeout");
  assertEquals(one("Restart"), "on-failure");
  // A bad configuration is not retried; what may pass by itself is, a bounded number of times.
  assertEquals(one("RestartPreventExitStatus"), String(ExitCode.Usage));
  assertEquals([one("StartLimitIntervalSec"), one("StartLimitBurst")], ["60", "5"]);
  assert(one("User") && one("User") !== "root");
  assert(one("WorkingDirectory"));
  assert(keys.get("Environment")?.includes("HERD_ENV=production"));
  assert(keys.get("Environment")?.includes("HERD_CONTROL_SOCKET=/run/herd/control.sock"));
  assertEquals(one("RuntimeDirectory"), "herd");
  for (const key of ["NoNewPrivileges", "PrivateTmp"]) assertEquals(one(key), "yes", key);
  assertEquals(one("ProtectSystem"), "strict");
  assert(one("ReadWritePaths"));
});

Deno.test("logrotate.conf rotates the unit's logs and reaches its master without the unit's environment", async () => {
  const unit = unitKeys(Deno.readTextFileSync(`${ROOT}scripts/herd.service`));
  const rotate = Deno.readTextFileSync(`${ROOT}scripts/logrotate.conf`);
  const workDir = unit.get("WorkingDirectory")!.at(-1)!;
  const socket = unit.get("Environment")!.find((e) => e.startsWith("HERD_CONTROL_SOCKET="))!
    .split("=")[1];
  assertMatch(rotate, new RegExp(`^${workDir}/logs/\\*\\.log \\{$`, "m"));
  const postrotate = /postrotate\n\s*(?:#.*\n\s*)*(.+)\n/.exec(rotate)?.[1].trim();
  assertEquals(postrotate, `/usr/local/bin/herd reopen-logs --control-socket ${socket} >/dev/null`);

  // The same command, against a master started as the unit starts it, from elsewhere.
  const dir = await Deno.makeTempDir({ prefix: "herd_rotate_" });
  const control = `${dir}/run/control.sock`;
  const log = `${dir}/access.log`;
  try {
    await using herd = await startHerd({
      args: [
        fixtureApp("hello.ts"),
        "-w",
        "1",
        "--allow-root",
        "--error-log",
        "-",
        "--access-log",
        log,
      ],
      env: { HERD_ENV: "production", HERD_CONTROL_SOCKET: control },
    });
    await fetch(`${herd.url}/before`).then((r) => r.body?.cancel());
    await until(() => readOr(log).includes("GET /before"), 5000, "a line in the log");
    await Deno.rename(log, `${log}.1`);
    const command = postrotate!.replace("/usr/local/bin/herd", `deno run -A ${MAIN}`)
      .replace(socket, control).replace(" >/dev/null", "").split(" ");
    const out = await new Deno.Command(Deno.execPath(), {
      args: command.slice(1),
      cwd: dir,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "Logs reopened");
    // As logrotate does: the file was moved before the command; new lines go to a new file.
    await fetch(`${herd.url}/after`).then((r) => r.body?.cancel());
    await until(() => readOr(log).includes("GET /after"), 5000, "a line in the reopened file");
    assert(!readOr(`${log}.1`).includes("GET /after"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

const SYSTEMD_ANALYZE = hasTool("systemd-analyze");
Deno.test({
  name: SYSTEMD_ANALYZE
    ? "herd.service passes systemd-analyze verify"
    : "herd.service passes systemd-analyze verify (skipped: systemd-analyze is not installed)",
  ignore: !SYSTEMD_ANALYZE,
  async fn() {
    // verify also demands that ExecStart exists; no herd is installed here.
    const dir = await Deno.makeTempDir({ prefix: "herd_unit_" });
    try {
      const unit = Deno.readTextFileSync(`${ROOT}scripts/herd.service`)
        .replace("ExecStart=/usr/local/bin/herd", "ExecStart=/bin/true");
      Deno.writeTextFileSync(`${dir}/herd.service`, unit);
      const result = await run("systemd-analyze", ["verify", `${dir}/herd.service`]);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stderr.trim(), "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---- entrypoint -----------------------------------------------------------

/** A temp dir with a `herd` wrapper that logs its arguments, then runs main.ts. */
async function entrypointSandbox() {
  const dir = await Deno.makeTempDir({ prefix: "herd_entrypoint_" });
  const wrapper = `${dir}/herd`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\necho "$*" >> "${dir}/calls.log"\n` +
      `exec "${Deno.execPath()}" run -A "${ROOT}main.ts" "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  return {
    dir,
    env(extra: Record<string, string>): Record<string, string> {
      const env: Record<string, string> = { HERD_BIN: wrapper, NO_COLOR: "1", ...extra };
      for (const name of ["PATH", "HOME", "DENO_DIR"]) {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      }
      return env;
    },
    calls(): string[] {
      try {
        return Deno.readTextFileSync(`${dir}/calls.log`).trim().split("\n");
      } catch {
        return [];
      }
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const ENTRYPOINT = `${ROOT}scripts/entrypoint.sh`;

Deno.test("entrypoint: a bad setting stops before serving, exit 2 with one line", async () => {
  await using box = await entrypointSandbox();
  // clearEnv: HERD_* from the test's own environment must not leak in; the
  // cwd is empty so the repository's config.ts and .env are not read.
  const result = await run("sh", [ENTRYPOINT, "serve"], {
    cwd: box.dir,
    clearEnv: true,
    env: box.env({ HERD_WORKERS: "abc" }),
  });
  assertEquals(result.code, ExitCode.Usage, result.stderr);
  const reasons = result.stderr.split("\n").filter((line) => line.includes("abc"));
  assertEquals(reasons.length, 1, result.stderr);
  assertMatch(reasons[0], /HERD_WORKERS|workers/);
  assertEquals(box.calls(), ["check"]);
});

Deno.test("entrypoint: a missing binary is named, exit 2", async () => {
  const result = await run("sh", [ENTRYPOINT, "serve"], {
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HERD_BIN: "/nonexistent/herd" },
  });
  assertEquals(result.code, 2);
  assertEquals(
    result.stderr.trim(),
    'error: Herd binary "/nonexistent/herd" is missing or not executable; set HERD_BIN',
  );
});

Deno.test("entrypoint: commands that start no server are exec'd without a check", async () => {
  await using box = await entrypointSandbox();
  const result = await run("sh", [ENTRYPOINT, "config", "--json"], {
    cwd: box.dir,
    clearEnv: true,
    env: box.env({ HERD_WORKERS: "3" }),
  });
  assertEquals(result.code, 0, result.stderr);
  assertMatch(result.stdout, /"workers"/);
  assertEquals(box.calls(), ["config --json"]);
});

async function waitForOk(url: string, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

Deno.test("entrypoint: a good setting is checked, then Herd replaces the shell and serves", async () => {
  await using box = await entrypointSandbox();
  const port = freePort();
  const child = new Deno.Command("sh", {
    args: [ENTRYPOINT, "serve"],
    cwd: box.dir,
    clearEnv: true,
    env: box.env({ HERD_WORKERS: "1", HERD_HOST: "127.0.0.1", HERD_PORT: String(port) }),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  try {
    const ok = await waitForOk(`http://127.0.0.1:${port}/healthz`, 30_000);
    assert(ok, `no 200 from /healthz; stderr: ${exited ? await log : "(still running)"}`);
    // exec: the PID that started as sh is now Deno running main.ts.
    const exe = Deno.realPathSync(`/proc/${child.pid}/exe`);
    assertEquals(exe, Deno.realPathSync(Deno.execPath()));
    assertEquals(box.calls(), ["check", "serve"]);
  } finally {
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => exited || child.kill("SIGKILL"), 15_000);
    const { code } = await status;
    clearTimeout(timer);
    assertEquals(code, 0, `SIGTERM should drain and exit 0; stderr: ${await log}`);
  }
});
