/**
 * Child process for `setup_test.ts`: configures the error log as told, then
 * logs a fixed set of records (or does one of the modes below).
 *
 * Usage: `deno run -A _log_child.ts '<LoggingOptions as JSON>' [mode] [arg]`,
 * mode one of `records` (default), `rotate <moved path>`, `many <count>`,
 * `prepare <path>` (only calls prepareLogTarget and prints its error).
 *
 * @module
 */
import { configureLogging, prepareLogTarget, reopenLogs } from "../../../src/logging/setup.ts";
import { getLog } from "../../../src/logging/log.ts";

const [optionsJson, mode = "records", arg = ""] = Deno.args;

if (mode === "prepare") {
  try {
    await prepareLogTarget(arg);
    console.log("ok");
  } catch (error) {
    console.log((error as Error).message);
  }
  Deno.exit(0);
}

configureLogging(JSON.parse(optionsJson));
const log = getLog("master");

if (mode === "many") {
  for (let i = 0; i < Number(arg); i++) log.info(`record ${i} from ${Deno.pid}`);
} else {
  log.debug("Hidden at info level");
  log.info("Booting worker");
  log.warning("Careful with the size", { thing: { size: 3 } });
  log.error("It broke", { error: new Error("boom") });
  log.critical("Gone");
  if (mode === "rotate") {
    await Deno.rename(JSON.parse(optionsJson).settings.error_log, arg);
    reopenLogs();
    log.info("After rotation");
  }
}
