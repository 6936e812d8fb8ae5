/**
 * The SIGUSR1 guard, for real: a child process runs the guard, receives
 * SIGUSR1, and must neither open an inspector nor die.
 *
 * @module
 */
import { assert, assertEquals } from "../../assert.ts";
import { inspectorPortOpen } from "../../inspector_port.ts";

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

Deno.test("a child spawned by a guarded process starts with SIGUSR1 ignored", async () => {
  if (Deno.build.os !== "linux") return;
  // The grandchild reads its own ignored-signal mask at once, long before Deno installs its
  // SIGUSR1 handler (~500 ms): what it shows was inherited across exec.
  const probe =
    `console.log(Deno.readTextFileSync("/proc/self/status").match(/SigIgn:\\s*(\\w+)/)[1])`;
  const parent = `
import { guardInspectorSignal } from ${
    JSON.stringify(new URL("../../../src/platform/inspector_guard.ts", import.meta.url).href)
  };
await guardInspectorSignal();
const out = await new Deno.Command(Deno.execPath(), { args: ["eval", ${JSON.stringify(probe)}] })
  .output();
console.log(new TextDecoder().decode(out.stdout).trim());
`;
  const output = await new Deno.Command(Deno.execPath(), { args: ["eval", parent] }).output();
  const mask = BigInt(`0x${new TextDecoder().decode(output.stdout).trim()}`);
  const SIGUSR1_BIT = 1n << 9n; // signal 10
  assertEquals(mask & SIGUSR1_BIT, SIGUSR1_BIT, `SigIgn ${mask.toString(16)}`);
});
