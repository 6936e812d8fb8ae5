/**
 * `fileUrl` must name the same file `node:url`'s `pathToFileURL` names (the
 * test may import `node:`; the worker may not).
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { fileUrl } from "../../../src/platform/file_url.ts";

const CWD = "/srv/my app";

Deno.test("fileUrl resolves and escapes like pathToFileURL", () => {
  for (
    const path of [
      "app.ts",
      "./a/./b/../c.ts",
      "../up.ts",
      "/abs/olute.ts",
      "/srv/100%.ts",
      "x#y?.ts",
      "/t\tab\nnew\rline.ts",
      "/back\\slash.ts",
      "/ünï/çødé.ts",
      '/q"<>`{}.ts',
      "/semi;colon=@&$,+!*'().ts",
    ]
  ) {
    assertEquals(fileUrl(path, CWD), pathToFileURL(resolve(CWD, path)).href, path);
  }
});

Deno.test("fileUrl's URL reads back as the same path", () => {
  const path = "/srv/odd %41 #1 ?.ts";
  assertEquals(decodeURIComponent(new URL(fileUrl(path)).pathname), path);
});
