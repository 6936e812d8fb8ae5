/**
 * The SIGUSR1 guard, for real: a child process runs the guard, receives
 * SIGUSR1, and must neither open an inspector nor die.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { inspectorPortOpen, SIGUSR1_BIT } from "../../sigusr1.ts";

const SIGNALS = new URL("../../sigusr1.ts", import.meta.url).href;

const CHILD = `
import { guardInspectorSignal } from ${
  JSON.stringify(new URL("../../../src/platform/inspector_guard.ts", import.meta.url).href)
};
const outcome = await guardInspectorSignal();
console.log(JSON.stringify(outcome));
setTimeout(() => console.log("alive"), 1500);
`;

Deno.test("SIGUSR1 opens no inspector and does not kill a guarded process", async () => {
  if (Deno.build.os !== "linux") return;
  assert(!(await inspectorPortOpen()), "port 9229 is already in use: cannot run this test");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", CHILD],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  assertEquals(JSON.parse(first.value ?? "null"), { guarded: true });
  Deno.kill(child.pid, "SIGUSR1");
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  assertEquals(status.code, 0, `child died: ${stderr}`);
  assert(rest.includes("alive"));
  assert(!stderr.includes("Debugger listening"), stderr);
  assert(!(await inspectorPortOpen()));
});

Deno.test("a child of a guarded process, with no guard of its own, ignores SIGUSR1", async () => {
  if (Deno.build.os !== "linux") return;
  assert(!(await inspectorPortOpen()), "port 9229 is already in use: cannot run this test");
  // The grandchild uses no FFI. It waits until Deno has installed its SIGUSR1 handler (~500 ms),
  // reports every thread's blocked-signal mask, signals itself, and must live on.
  const grandchild = `
import { threadSignalMasks } from ${JSON.stringify(SIGNALS)};
await new Promise((r) => setTimeout(r, 1000));
console.log(JSON.stringify(threadSignalMasks(Deno.pid).map(String)));
Deno.kill(Deno.pid, "SIGUSR1");
await new Promise((r) => setTimeout(r, 500));
console.log("alive");
`;
  const parent = `
import { guardInspectorSignal } from ${
    JSON.stringify(new URL("../../../src/platform/inspector_guard.ts", import.meta.url).href)
  };
guardInspectorSignal();
const out = await new Deno.Command(Deno.execPath(), { args: ["eval", ${
    JSON.stringify(grandchild)
  }] }).output();
console.log(JSON.stringify({ code: out.code, stdout: new TextDecoder().decode(out.stdout),
  stderr: new TextDecoder().decode(out.stderr) }));
`;
  const output = await new Deno.Command(Deno.execPath(), { args: ["eval", parent] }).output();
  const child = JSON.parse(new TextDecoder().decode(output.stdout));
  assertEquals(child.code, 0, `the grandchild died: ${child.stderr}`);
  const [maskLine, alive] = child.stdout.trim().split("\n");
  const masks: string[] = JSON.parse(maskLine);
  assert(masks.length > 1, `threads: ${masks.length}`);
  for (const mask of masks) {
    assertEquals(BigInt(mask) & SIGUSR1_BIT, SIGUSR1_BIT, `SigBlk ${mask}`);
  }
  assertEquals(alive, "alive");
  assert(!child.stderr.includes("Debugger listening"), child.stderr);
  assert(!(await inspectorPortOpen()));
});
