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
