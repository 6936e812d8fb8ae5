/**
 * Tests for the one-line error text used in every message.
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";
import {
  errorMessage,
  firstLine,
  importFailure,
  isOsError,
  osErrorReason,
  withUserStack,
  workerPermissionAdvice,
} from "../../src/error_text.ts";

Deno.test("firstLine() keeps the first non-blank line, without a final period", () => {
  assertEquals(firstLine(new Error("\nBoom\n  at x.ts:1:1")), "Boom");
  assertEquals(
    firstLine(new Error('Module not found "file:///x/app.ts".\n    at y')),
    'Module not found "file:///x/app.ts"',
  );
  assertEquals(firstLine("plain"), "plain");
  assertEquals(firstLine(new TypeError("")), "TypeError");
});

Deno.test("errorMessage() is an Error's message, or what else was thrown as a string", () => {
  assertEquals(errorMessage(new RangeError("Too big")), "Too big");
  assertEquals(errorMessage("thrown string"), "thrown string");
  assertEquals(errorMessage(42), "42");
  assertEquals(
    errorMessage({ code: 7, detail: { why: "x\ny" } }),
    '{ code: 7, detail: { why: "x\\ny" } }',
  );
  assertEquals(errorMessage(null), "null");
});

Deno.test("osErrorReason() drops the errno and the call Deno appends to an I/O error", async () => {
  const missing = await Deno.readTextFile("/nonexistent/herd").catch((e) => e);
  assertEquals(osErrorReason(missing), "No such file or directory");
  assertEquals(
    osErrorReason(new Error("Address already in use (os error 98)")),
    "Address already in use",
  );
  assertEquals(osErrorReason(new Error("no errno here")), "no errno here");
});

Deno.test("workerPermissionAdvice names the worker_permissions entry instead of Deno's flag", () => {
  assertEquals(
    workerPermissionAdvice(
      'NotCapable: Requires read access to "/etc/x", run again with the --allow-read flag\n    at f',
    ),
    'NotCapable: Requires read access to "/etc/x": workers have narrow permissions; ' +
      'add "--allow-read=/etc/x" to worker_permissions\n    at f',
  );
  assertEquals(
    workerPermissionAdvice("Requires env access, run again with the --allow-env flag"),
    'Requires env access: workers have narrow permissions; add "--allow-env" to worker_permissions',
  );
  // Deno.umask() asks for sys access to "umask", which no --allow-sys= scope grants.
  assertEquals(
    workerPermissionAdvice('Requires sys access to "umask", run again with the --allow-sys flag'),
    'Requires sys access to "umask": workers have narrow permissions; add "--allow-sys" to worker_permissions',
  );
  assertEquals(
    workerPermissionAdvice(
      'Requires sys access to "hostname", run again with the --allow-sys flag',
    ),
    'Requires sys access to "hostname": workers have narrow permissions; add "--allow-sys=hostname" to worker_permissions',
  );
  assertEquals(workerPermissionAdvice("Module not found"), "Module not found");
});

Deno.test("importFailure() adds where a module does not parse", () => {
  const parse = new Error(
    "SyntaxError: Expected ',', got ';'\n  |\n2 |   workers: 2;\n    at file:///srv/my%20app/config.ts?load=3:2:13",
  );
  assertEquals(
    importFailure(parse),
    "SyntaxError: Expected ',', got ';' (at /srv/my app/config.ts:2:13)",
  );
  assertEquals(importFailure(new Error("Database URL missing")), "Database URL missing");
});

Deno.test("withUserStack() shows config.ts as written, leaving the app's error as it was", () => {
  const written = "Error: boom\n    at file:///srv/config.ts:3:9";
  const imported = "Error: boom\n    at file:///srv/config.ts?load=1795869009326.2:3:9";
  // A config.ts may freeze what it throws; its stack is shown all the same.
  for (const freeze of [false, true]) {
    const error = new RangeError("boom");
    error.stack = imported;
    if (freeze) Object.freeze(error);
    const shown = withUserStack(error);
    assert(shown instanceof RangeError, `frozen: ${freeze}`);
    assertEquals([shown.name, shown.message, shown.stack], ["RangeError", "boom", written]);
    assertEquals(error.stack, imported, "the error itself is not changed");
  }
  const plain = new Error("plain");
  assertEquals(withUserStack(plain), plain, "nothing to rewrite: the error itself");
  assertEquals(withUserStack("thrown string"), null);
  const { proxy, revoke } = Proxy.revocable(new Error("revoked"), {});
  revoke();
  assertEquals(withUserStack(proxy), null);
});

Deno.test("isOsError() knows an OS error by its code or by the `(os error N)` of its message", () => {
  assert(isOsError(Object.assign(new Error("x"), { code: "EMFILE" }), "EMFILE"));
  assert(
    isOsError(new Error("Failed to spawn 'deno': Too many open files (os error 24)"), "EMFILE"),
  );
  assert(
    isOsError(new Error("Resource temporarily unavailable (os error 11)"), "ENOMEM", "EAGAIN"),
  );
  assert(!isOsError(new Error("Permission denied (os error 13)"), "EMFILE", "ENFILE"));
  assert(!isOsError("Too many open files", "EMFILE"));
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert(!isOsError(proxy, "EMFILE"));
});
