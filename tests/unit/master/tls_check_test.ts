import { assertEquals, assertMatch } from "../../assert.ts";
import { checkTlsPair, describeTlsError } from "../../../src/master/tls_check.ts";

const FILES = { certfile: "/tls/cert.pem", keyfile: "/tls/key.pem" };

Deno.test("describeTlsError names the file at fault", () => {
  const table: [string, string][] = [
    [
      "keys may not be consistent: KeyMismatch",
      'Key "/tls/key.pem" (keyfile) does not match certificate "/tls/cert.pem" (certfile)',
    ],
    [
      "No certificates found in certificate data",
      'Certificate "/tls/cert.pem" (certfile) holds no PEM certificate',
    ],
    ["No keys found in key data", 'Key "/tls/key.pem" (keyfile) holds no PEM private key'],
    [
      "Something else (os error 5)",
      'Cannot use certificate "/tls/cert.pem" with key "/tls/key.pem": Something else',
    ],
  ];
  for (const [message, expected] of table) assertEquals(describeTlsError(message, FILES), expected);
});

Deno.test("checkTlsPair: off without a pair; a missing file is named", async () => {
  assertEquals(await checkTlsPair({ certfile: null, keyfile: null }), null);
  const dir = await Deno.makeTempDir({ prefix: "herd-tls-unit-" });
  try {
    const problem = await checkTlsPair({ certfile: `${dir}/c.pem`, keyfile: `${dir}/k.pem` });
    assertMatch(problem ?? "", /^Cannot read certificate ".*\/c\.pem" \(certfile\): No such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkTlsPair: a key encrypted with a passphrase is named as such", async () => {
  const dir = await Deno.makeTempDir({ prefix: "herd-tls-unit-" });
  const run = (args: string[]) =>
    new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  try {
    const key = `${dir}/k.pem`;
    const cert = `${dir}/c.pem`;
    await run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"].concat(
      ["-aes256", "-pass", "pass:secret", "-out", key],
    ));
    await run(["req", "-x509", "-key", key, "-passin", "pass:secret", "-out", cert].concat(
      ["-days", "1", "-subj", "/CN=localhost"],
    ));
    assertEquals(
      await checkTlsPair({ certfile: cert, keyfile: key }),
      `Key "${key}" (keyfile) is encrypted with a passphrase, which Herd cannot read: ` +
        "decrypt it (openssl pkey -in KEY -out PLAIN_KEY) and keep that file private",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
