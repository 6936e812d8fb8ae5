import { assertEquals } from "../../assert.ts";
import { sameService } from "../../../src/ipc/control_path.ts";

const APP = { cwd: "/srv/app", config: "/srv/app/config.ts", main: "file:///srv/app/main.ts" };

Deno.test("sameService: one program with one config.ts, wherever it was started from", () => {
  assertEquals(sameService(APP, { ...APP, cwd: "/" }), true);
  assertEquals(sameService(APP, { ...APP, config: "/srv/other/config.ts" }), false);
  assertEquals(sameService(APP, { ...APP, config: null }), false);
  assertEquals(sameService(APP, { ...APP, main: "file:///srv/other/main.ts" }), false);
});

Deno.test("sameService: with no config.ts, the same program started from the same directory", () => {
  const bare = { ...APP, config: null };
  assertEquals(sameService(bare, { ...bare }), true);
  assertEquals(sameService(bare, { ...bare, cwd: "/srv/other" }), false);
});
