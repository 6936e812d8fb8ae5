/**
 * An app embedded by a program that calls `serve(app, config)` (see
 * `serve.ts`): the app object and the configuration object stand in for
 * the app module and config.ts, in the master and in every worker alike.
 *
 * @module
 */
import type { UserConfig } from "./settings/user_config.ts";
import type { LoadedApp } from "./worker/load_app.ts";

/** The app and configuration given to `serve(app, config)`. */
export interface Embedded {
  /** The app, already checked. */
  readonly app: LoadedApp;
  /** Takes config.ts's place (config.ts is not read). */
  readonly config: UserConfig;
}
