/**
 * Tests of loading an app module: accepted shapes and one-line errors.
 *
 * @module
 */
import { assertEquals, assertRejects, assertThrows } from "../../assert.ts";
import { AppLoadError, embeddedApp, loadApp } from "../../../src/worker/load_app.ts";

const FIXTURES = new URL("../../fixtures/worker/", import.meta.url).pathname;
const INFO = {} as Deno.ServeHandlerInfo;

async function bodyOf(path: string): Promise<string> {
  const app = await loadApp(path, FIXTURES);
  return await (await app.fetch(new Request("http://localhost/"), INFO)).text();
}

Deno.test("loadApp accepts an object with fetch, a function and a class instance", async () => {
  assertEquals(await bodyOf("object_app.ts"), "object");
  assertEquals(await bodyOf("function_app.ts"), "function");
  assertEquals(await bodyOf("class_app.ts"), "class");
  assertEquals(await bodyOf(`${FIXTURES}class_app.ts`), "class");
});

Deno.test("loadApp(null) is the default app", async () => {
  const app = await loadApp(null, FIXTURES);
  assertEquals(app.url, null);
  const res = await app.fetch(new Request("http://localhost/healthz"), INFO);
  assertEquals(await res.json(), { status: "ok" });
});

Deno.test("loadApp rejects bad modules with one-line messages naming them", async () => {
  const cases: [string, RegExp][] = [
    [
      "missing_app.ts",
      /^Cannot import app "missing_app.ts": Module not found "file:\/\/\/.*missing_app.ts"$/,
    ],
    [
      "wrong_export_app.ts",
      /^Invalid default export of "wrong_export_app.ts": must be a function or an object with a fetch method$/,
    ],
    ["throwing_app.ts", /^Cannot import app "throwing_app.ts": Database URL is not set$/],
    [
      "named_only_app.ts",
      /^"named_only_app.ts" has no default export: export default \{ fetch \} or a handler function \(it exports "fetch"\)$/,
    ],
  ];
  for (const [path, expected] of cases) {
    await assertRejects(() => loadApp(path, FIXTURES), (error: Error) => {
      assertEquals(error instanceof AppLoadError, true);
      assertEquals(expected.test(error.message), true, error.message);
      assertEquals(error.message.includes("\n"), false);
      return true;
    });
  }
});

Deno.test("a class as the app is refused at load, not a 500 on every request", async () => {
  class App {
    fetch(): Response {
      return new Response("never");
    }
  }
  assertThrows(
    () => embeddedApp(App),
    AppLoadError,
    "a class, which cannot be called; export an instance (export default new App())",
  );
  assertEquals(typeof embeddedApp(new App()).fetch, "function");
  // A static fetch makes the class an object with a fetch method, as for `deno serve`.
  class Static {
    static fetch(): Response {
      return new Response("static");
    }
  }
  assertEquals(
    await (await embeddedApp(Static).fetch(new Request("http://x/"), INFO)).text(),
    "static",
  );
});

Deno.test("an app's onListen is kept, bound to its object, as deno serve calls it", () => {
  const seen: string[] = [];
  const app = {
    name: "mine",
    fetch: () => new Response("x"),
    onListen(this: { name: string }, addr: Deno.Addr) {
      seen.push(`${this.name} ${addr.transport}`);
    },
  };
  embeddedApp(app).onListen!({ transport: "tcp", hostname: "127.0.0.1", port: 1 });
  assertEquals(seen, ["mine tcp"]);
  assertEquals(embeddedApp({ fetch: () => new Response("x") }).onListen, null);
  assertEquals(embeddedApp(() => new Response("x")).onListen, null);
});

Deno.test("an onListen that is not a function is refused at load", () => {
  assertThrows(
    () => embeddedApp({ fetch: () => new Response("x"), onListen: "soon" }),
    AppLoadError,
    "Invalid app given to serve(): its onListen must be a function, got string",
  );
});
