/**
 * BioRemPP's entry point: its app, served by Herd with its configuration.
 * One command starts it (run from this directory, so `logs/` and `.env`
 * are found here):
 *
 * ```sh
 * deno run -A main.ts                                   # development
 * BIOREMPP_ENV=production BIOREMPP_WORKERS=4 BIOREMPP_TIMEOUT=300 deno run -A main.ts
 * deno run -A main.ts check                             # validate, then exit
 * deno compile -A --unstable-net -o biorempp main.ts    # one binary: ./biorempp
 * ```
 *
 * @module
 */
import { serve } from "../../src/mod.ts";
import app from "./app.ts";
import config from "./config.ts";

await serve(app, config);
