/**
 * User and group lookup against sample `/etc/passwd` and `/etc/group`
 * files, and the production root refusal.
 *
 * @module
 */
import { assertEquals, assertMatch } from "../../assert.ts";
import { lookupGroup, lookupUser, rootRefusal } from "../../../src/platform/privileges.ts";

// Debian bookworm's files, trimmed, with the image's `herd` user added.
const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
# a comment some distributions allow
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
herd:x:999:998:Herd:/app:/usr/sbin/nologin
broken:x:notanumber:1::/:/bin/sh
`;

const GROUP = `root:x:0:
daemon:x:1:
www-data:x:33:
nogroup:x:65534:
herd:x:998:
`;

Deno.test("lookupUser by name and by uid", () => {
  assertEquals(lookupUser("herd", PASSWD), { uid: 999, gid: 998 });
  assertEquals(lookupUser("www-data", PASSWD), { uid: 33, gid: 33 });
  assertEquals(lookupUser("0", PASSWD), { uid: 0, gid: 0 });
  assertEquals(lookupUser("999", PASSWD), { uid: 999, gid: 998 });
});

Deno.test("lookupUser: unknown names are null, unlisted uids stand for themselves", () => {
  assertEquals(lookupUser("nginx", PASSWD), null);
  assertEquals(lookupUser("broken", PASSWD), null);
  assertEquals(lookupUser("", PASSWD), null);
  assertEquals(lookupUser("10001", PASSWD), { uid: 10001, gid: 10001 });
  assertEquals(lookupUser("root", ""), null);
});

Deno.test("lookupGroup by name and by gid", () => {
  assertEquals(lookupGroup("herd", GROUP), 998);
  assertEquals(lookupGroup("nogroup", GROUP), 65534);
  assertEquals(lookupGroup("33", GROUP), 33);
  assertEquals(lookupGroup("4242", GROUP), 4242);
  assertEquals(lookupGroup("wheel", GROUP), null);
});

Deno.test("lookupUser reads the real /etc/passwd when no text is given", () => {
  assertEquals(lookupUser("root"), { uid: 0, gid: 0 });
  assertEquals(lookupGroup("root"), 0);
});

Deno.test("rootRefusal: production as root without a user is refused, with the fix", () => {
  const message = rootRefusal({ env: "production", user: null }, 0);
  assertEquals(
    message,
    "Refusing to run workers as root in production: set HERD_USER (or --user) to an unprivileged user, start Herd as one, or set HERD_ALLOW_ROOT=1 (--allow-root)",
  );
  assertMatch(rootRefusal({ env: "production", user: null, env_prefix: "APP" }, 0)!, /APP_USER/);
});

Deno.test("rootRefusal: allowed with a user, as non-root, in development, or with an unknown uid", () => {
  assertEquals(rootRefusal({ env: "production", user: "herd" }, 0), null);
  assertEquals(rootRefusal({ env: "production", user: null }, 999), null);
  assertEquals(rootRefusal({ env: "development", user: null }, 0), null);
  assertEquals(rootRefusal({ env: "production", user: null }, null), null);
  assertEquals(rootRefusal({ env: "production", user: null, allow_root: true }, 0), null);
});
