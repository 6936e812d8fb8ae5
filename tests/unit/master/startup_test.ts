/**
 * The words of a reload the master postpones rather than import config.ts
 * short of file descriptors: whose descriptors ran out, and what raises them.
 *
 * @module
 */
import { assertEquals } from "../../assert.ts";
import { importRefusal } from "../../../src/master/startup.ts";
import { descriptorShortageOf } from "../../../src/platform/file_descriptors.ts";

Deno.test("importRefusal: the system's file table full (ENFILE) is said to be the system's, with its remedy", () => {
  // An open of /dev/null that found the system's table full, as fileDescriptorShortage sees it.
  const full = new Error("Too many open files in system (os error 23): open '/dev/null'");
  assertEquals(
    importRefusal({ file: "config.ts", shortage: descriptorShortageOf(full)! }),
    "the system is out of file descriptors (Too many open files in system): importing " +
      '"config.ts" could crash the master (Deno panics importing a module with no descriptor ' +
      "left; raise the system's limit: sysctl fs.file-max); the running configuration and " +
      "workers are kept meanwhile",
  );
});
