/**
 * TLS: HTTPS with HTTP/1.1 and HTTP/2 (ALPN), refusals naming the bad file,
 * and a renewed certificate picked up by HUP with no failed request. The
 * certificates are made here with `openssl`, signed by a throwaway CA so a
 * renewed leaf is trusted like the first.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { fixtureApp, freePort, runHerd, startHerd } from "./_harness.ts";

/** A CA and a leaf for 127.0.0.1/localhost, in a fresh directory. */
interface Pki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

async function openssl(args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "herd-tls-" });
  await openssl(
    ["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=t"],
    dir,
  );
  await openssl(["req", ...EC, "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=h"], dir);
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await signLeaf(dir, 1);
  return { dir, ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

/** (Re)issues `cert.pem` for the same key, with `serial`. */
async function signLeaf(dir: string, serial: number): Promise<void> {
  await openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-set_serial",
    String(serial),
    "-days",
    "1",
    "-extfile",
    "san.ext",
    "-out",
    "cert.pem.new",
  ], dir);
  // Atomic, as a renewal tool would do it: a reader never sees half a file.
  await Deno.rename(`${dir}/cert.pem.new`, `${dir}/cert.pem`);
}

async function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", "--max-time", "5", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** The serial number of the certificate served on `port`, as openssl prints it. */
async function servedSerial(port: number): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null` +
      " | openssl x509 -noout -serial",
    ],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("tls: every worker serves HTTPS over HTTP/1.1 and HTTP/2", async () => {
  const pki = await makePki();
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--certfile", pki.cert, "--keyfile", pki.key],
  });
  await herd.waitForLog(new RegExp(`Listening at: https://127\\.0\\.0\\.1:${herd.port}`));
  const url = `https://localhost:${herd.port}/`;
  const format = ["-w", "\\n%{http_version}"];
  const h1 = await curl(["--cacert", pki.ca, "--http1.1", ...format, url]);
  assertEquals(h1.code, 0, h1.stderr);
  assertMatch(h1.stdout, /^hello from \d+\n\n1\.1$/);
  const h2 = await curl(["--cacert", pki.ca, "--http2", ...format, url]);
  assertEquals(h2.code, 0, h2.stderr);
  assertMatch(h2.stdout, /^hello from \d+\n\n2$/);
  const plain = await curl([`http://127.0.0.1:${herd.port}/`]);
  assert(plain.code !== 0, "plain HTTP must not be served on a TLS port");
});

Deno.test("tls: a missing certificate file stops the start with one line naming it", async () => {
  const pki = await makePki();
  const missing = `${pki.dir}/missing.pem`;
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "--certfile", missing, "--keyfile", pki.key],
    waitReady: false,
  });
  const status = await herd.waitForExit();
  assertEquals(status.code, 2);
  await herd.waitForLog(
    new RegExp(`^error: Cannot read certificate "${missing}" \\(certfile\\): No such file`),
  );
  assertEquals(herd.lines.some((l) => /Booting worker/.test(l)), false);
});

Deno.test("tls: a key of another certificate stops the start, naming both files", async () => {
  const pki = await makePki();
  const other = await makePki();
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "--certfile", pki.cert, "--keyfile", other.key],
    waitReady: false,
  });
  assertEquals((await herd.waitForExit()).code, 2);
  const line = await herd.waitForLog(/^error: /);
  assertEquals(
    line,
    `error: Key "${other.key}" (keyfile) does not match certificate "${pki.cert}" (certfile)`,
  );
});

Deno.test("tls: check refuses what serve refuses: a missing file, a key of another certificate", async () => {
  const pki = await makePki();
  const other = await makePki();
  const missing = `${pki.dir}/missing.pem`;
  const port = String(freePort());
  const check = (cert: string, key: string) =>
    runHerd(["check", "--port", port, "--certfile", cert, "--keyfile", key]);
  assertEquals(await check(pki.cert, other.key), {
    code: 2,
    stderr:
      `error: Key "${other.key}" (keyfile) does not match certificate "${pki.cert}" (certfile)`,
  });
  const noFile = await check(missing, pki.key);
  assertEquals(noFile.code, 2);
  assertMatch(
    noFile.stderr,
    new RegExp(`^error: Cannot read certificate "${missing}" \\(certfile\\)`),
  );
  assertEquals(await check(pki.cert, pki.key), { code: 0, stderr: "" });
});

Deno.test("tls: certfile without keyfile is a configuration error", async () => {
  const pki = await makePki();
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "--certfile", pki.cert],
    waitReady: false,
  });
  assertEquals((await herd.waitForExit()).code, 2);
  await herd.waitForLog(/"certfile" from --certfile \(command line\) needs "keyfile" too/);
});

Deno.test("tls: a renewed certificate is served after HUP, with no certificate error", async () => {
  const pki = await makePki();
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "2", "--certfile", pki.cert, "--keyfile", pki.key],
  });
  assertEquals(await servedSerial(herd.port), "serial=01");
  const before = herd.workerPids();

  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(pki.ca)],
    poolMaxIdlePerHost: 0, // a handshake per request: each one sees the certificate in use
  });
  const stop = new AbortController();
  const failures: string[] = [];
  let ok = 0;
  const loop = async () => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetch(`https://localhost:${herd.port}/`, { client });
        await response.body?.cancel();
        if (response.ok) ok++;
        else failures.push(`status ${response.status}`);
      } catch (error) {
        const cause = error instanceof Error && error.cause ? `: ${error.cause}` : "";
        failures.push(`${error}${cause}`);
      }
    }
  };
  const load = Promise.all([loop(), loop()]);
  try {
    await signLeaf(pki.dir, 2);
    const from = herd.lines.length;
    herd.kill("SIGHUP");
    await herd.waitForLog(/Reload complete/, { from, timeoutMs: 20_000 });
    // Draining workers still accept for a moment; the old certificate is gone with them.
    for (const pid of before) {
      await herd.waitForLog(new RegExp(`\\(pid: ${pid}\\) exited .*reason: reload`), { from });
    }
  } finally {
    stop.abort();
    await load;
    client.close();
  }
  assertEquals(await servedSerial(herd.port), "serial=02");
  // A connection per request: one opened as a draining worker stops listening can be reset
  // (the reusePort race the README describes), at most one or two per replacement here. A
  // certificate the client refuses, never.
  const what = `${failures.length} failed of ${ok + failures.length}: ${failures.join("; ")}`;
  assertEquals(failures.filter((f) => /certificate|handshake|tls/i.test(f)), [], what);
  assert(failures.length <= 2 * before.length, what);
  assert(ok > 0, "the load loop made requests");
});

Deno.test("tls: HUP with a broken certificate keeps the old workers and says why", async () => {
  const pki = await makePki();
  await using herd = await startHerd({
    args: [fixtureApp("hello.ts"), "-w", "1", "--certfile", pki.cert, "--keyfile", pki.key],
  });
  const before = herd.workerPids();
  await Deno.writeTextFile(pki.cert, "not a certificate\n");
  const from = herd.lines.length;
  herd.kill("SIGHUP");
  await herd.waitForLog(new RegExp(`Certificate "${pki.cert}" \\(certfile\\) holds no PEM`), {
    from,
  });
  assertEquals(herd.workerPids(), before);
  const served = await curl(["--cacert", pki.ca, `https://localhost:${herd.port}/`]);
  assertEquals(served.code, 0, served.stderr);
  // A replacement gets the pair the master checked, not the broken file now on disk.
  Deno.kill(before[0], "SIGKILL");
  await herd.waitForLog(/Worker 1 \(pid: \d+\) listening/, { from: herd.lines.length });
  assert(!herd.lines.slice(from).some((l) => /failed to boot/.test(l)), herd.lines.join("\n"));
  const again = await curl(["--cacert", pki.ca, `https://localhost:${herd.port}/`]);
  assertEquals(again.code, 0, again.stderr);
});
