/**
 * Unit test of the early signal hold: a HUP before the master's own listeners exist is kept
 * for them instead of ending the process (Deno's default).
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";

const MODULE = new URL("../../../src/platform/early_signals.ts", import.meta.url).href;

Deno.test("holdEarlySignals keeps HUP, TTIN and USR2 for releaseEarlySignals, in order", async () => {
  const script = `
    import { holdEarlySignals, releaseEarlySignals } from "${MODULE}";
    holdEarlySignals();
    for (const signal of ["SIGHUP", "SIGTTIN", "SIGUSR2", "SIGHUP"]) {
      Deno.kill(Deno.pid, signal);
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(JSON.stringify(releaseEarlySignals()), JSON.stringify(releaseEarlySignals()));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    [out.code, new TextDecoder().decode(out.stdout).trim()],
    [0, '["SIGHUP","SIGTTIN","SIGUSR2","SIGHUP"] []'],
    new TextDecoder().decode(out.stderr),
  );
});
