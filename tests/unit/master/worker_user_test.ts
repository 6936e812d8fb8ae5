/**
 * Unit tests of the workers' user: resolution, the root requirement and
 * the production refusal.
 *
 * @module
 */
import { assertEquals, assertMatch } from "../../assert.ts";
import { resolveWorkerUser, type WorkerUserSettings } from "../../../src/master/worker_user.ts";

const BASE: WorkerUserSettings = {
  env: "development",
  user: null,
  group: null,
  allow_root: false,
  env_prefix: "HERD",
};

Deno.test("resolveWorkerUser: no user keeps the master's ids", () => {
  assertEquals(resolveWorkerUser(BASE, 1000), { uid: null, gid: null });
  assertEquals(resolveWorkerUser(BASE, 0), { uid: null, gid: null });
});

Deno.test("resolveWorkerUser: root switches to a named user and group", () => {
  assertEquals(resolveWorkerUser({ ...BASE, user: "nobody" }, 0), { uid: 65534, gid: 65534 });
  assertEquals(resolveWorkerUser({ ...BASE, user: "4321", group: "0" }, 0), { uid: 4321, gid: 0 });
});

Deno.test("resolveWorkerUser: a non-root master cannot switch; unknown names are named", () => {
  assertEquals(
    resolveWorkerUser({ ...BASE, user: "nobody" }, 1000),
    'Cannot run workers as user "nobody" ("user": HERD_USER, --user or config.ts): the master must start as root, not uid 1000',
  );
  // With its source known, only that one is named.
  assertEquals(
    resolveWorkerUser({ ...BASE, user: "nobody" }, 1000, () => '"user" from --user (command line)'),
    'Cannot run workers as user "nobody" ("user" from --user (command line)): the master must start as root, not uid 1000',
  );
  assertMatch(
    resolveWorkerUser({ ...BASE, user: "no-such-user-x" }, 0, () => "user in config.ts") as string,
    /^Unknown user "no-such-user-x" \(user in config\.ts\): not in \/etc\/passwd$/,
  );
  assertMatch(
    resolveWorkerUser(
      { ...BASE, group: "no-such-group-x" },
      0,
      (name) => `HERD_${name.toUpperCase()} in .env`,
    ) as string,
    /^Unknown group "no-such-group-x" \(HERD_GROUP in \.env\)/,
  );
  assertEquals(resolveWorkerUser({ ...BASE, user: "1000" }, 1000), { uid: 1000, gid: 1000 });
  assertMatch(
    resolveWorkerUser({ ...BASE, user: "no-such-user-x" }, 0) as string,
    /^Unknown user "no-such-user-x" \("user": HERD_USER, --user or config\.ts\)/,
  );
  assertMatch(
    resolveWorkerUser({ ...BASE, group: "no-such-group-x" }, 0) as string,
    /^Unknown group "no-such-group-x" \("group": HERD_GROUP/,
  );
});

Deno.test("resolveWorkerUser: production refuses root workers unless allow_root", () => {
  assertMatch(
    resolveWorkerUser({ ...BASE, env: "production" }, 0) as string,
    /^Refusing to run workers as root in production/,
  );
  assertEquals(resolveWorkerUser({ ...BASE, env: "production", allow_root: true }, 0), {
    uid: null,
    gid: null,
  });
});
