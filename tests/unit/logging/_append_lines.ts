/**
 * Child process for `line_writer_test.ts`: appends numbered lines to a file
 * through a buffered line writer.
 *
 * Usage: `deno run -A _append_lines.ts <path|-> <writer id> <count> [close|exit] [width]`.
 * `-` writes to stdout. `close` (the default) closes the writer; `exit` just
 * returns from the module, leaving the pending batch to the unload flush.
 * `width`: the padding's length (90).
 *
 * @module
 */
import { openLineWriter } from "../../../src/logging/line_writer.ts";

const [path, id, count, ending = "close", width = "90"] = Deno.args;
const writer = openLineWriter(path === "-" ? "stdout" : { path });
// Long enough lines that a batch crosses the 64 KiB threshold many times.
const padding = "x".repeat(Number(width));
for (let i = 0; i < Number(count); i++) writer.write(`${id} ${i} ${padding}`);
if (ending === "close") writer.close();
