/**
 * The file-system changes `serve` makes at start (directories, their modes,
 * the files and sockets in them), made for real or, for `check`, only proved
 * possible: a dry run fails where the real changes would, with the same
 * reasons (a missing directory, a file in the way, a permission, a read-only
 * file system), and leaves nothing behind.
 *
 * @example
 * ```ts
 * import { DryRun, type FileChanges, realChanges } from "./dry_run.ts";
 * async function makeRunDirectory(changes: FileChanges): Promise<void> {
 *   await changes.mkdir("/tmp/herd-example/run", { recursive: true, mode: 0o700 });
 *   await changes.chmod("/tmp/herd-example/run", 0o700);
 * }
 * await makeRunDirectory(new DryRun()); // throws what the real run would; makes nothing
 * await makeRunDirectory(realChanges);
 * ```
 *
 * @module
 */
import { parentDirectory } from "./path_exists.ts";

/** What a start changes on disk: {@linkcode realChanges}, or a {@linkcode DryRun}'s proofs. */
export interface FileChanges {
  /** `Deno.mkdir`. */
  mkdir(path: string, options: { recursive?: boolean; mode: number }): Promise<void>;
  /** `Deno.chmod`. */
  chmod(path: string, mode: number): Promise<void>;
  /** `Deno.chown` of the group only. */
  chgrp(path: string, gid: number): Promise<void>;
  /** `Deno.lstat`; a directory a dry run would have made is this user's. */
  lstat(path: string): Promise<Pick<Deno.FileInfo, "isDirectory" | "isSymlink" | "uid">>;
}

/** The changes made. */
export const realChanges: FileChanges = {
  mkdir: (path, options) => Deno.mkdir(path, options),
  chmod: (path, mode) => Deno.chmod(path, mode),
  chgrp: (path, gid) => Deno.chown(path, null, gid),
  lstat: (path) => Deno.lstat(path),
};

/**
 * The changes proved possible and not made. A directory it would make is
 * remembered as made (this user's, empty), so what follows in it is judged
 * as the real run would find it.
 */
export class DryRun implements FileChanges {
  readonly #made = new Set<string>();

  /** Throws what `Deno.mkdir` would: a file in the way, no parent (unless `recursive`), no permission. */
  async mkdir(path: string, options: { recursive?: boolean }): Promise<void> {
    const found = await this.#stat(path);
    if (found !== null) {
      if (options.recursive && found.isDirectory) return;
      throw new Deno.errors.AlreadyExists("File exists (os error 17)");
    }
    const missing = [path];
    let above = parentDirectory(path);
    while (await this.#stat(above) === null) {
      if (!options.recursive) {
        throw new Deno.errors.NotFound("No such file or directory (os error 2)");
      }
      missing.push(above);
      above = parentDirectory(above);
    }
    if (!this.#made.has(above)) await createAndRemoveIn(above);
    for (const dir of missing) this.#made.add(dir);
  }

  /** Throws what `Deno.chmod` would for want of owning `path`. */
  async chmod(path: string): Promise<void> {
    await this.#mayChange(path);
  }

  /** Throws what `Deno.chown` would for want of owning `path` (root's changes are tried by root). */
  async chgrp(path: string): Promise<void> {
    await this.#mayChange(path);
  }

  /** `Deno.lstat`, and a directory this run would have made. */
  async lstat(path: string): Promise<Pick<Deno.FileInfo, "isDirectory" | "isSymlink" | "uid">> {
    if (this.#made.has(path)) return { isDirectory: true, isSymlink: false, uid: Deno.uid() };
    return await Deno.lstat(path);
  }

  /** Throws what creating the file or socket `path` would for want of its directory. */
  async create(path: string): Promise<void> {
    const dir = parentDirectory(path);
    if (!this.#made.has(dir)) await createAndRemoveIn(dir);
  }

  async #mayChange(path: string): Promise<void> {
    if (this.#made.has(path)) return;
    const { uid } = await Deno.stat(path);
    if (Deno.uid() !== 0 && uid !== Deno.uid()) {
      throw new Deno.errors.PermissionDenied("Operation not permitted (os error 1)");
    }
  }

  // Null when missing; a directory this run would have made is there.
  async #stat(path: string): Promise<Deno.FileInfo | { isDirectory: true } | null> {
    if (this.#made.has(path)) return { isDirectory: true };
    return await Deno.stat(path).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    });
  }
}

/**
 * Proves this process may create files in `dir` (its permissions, a
 * read-only file system), by making one there and removing it at once.
 *
 * @throws {Deno.errors.PermissionDenied | Deno.errors.NotFound} what creating a file there throws
 * @example
 * ```ts
 * import { createAndRemoveIn } from "./dry_run.ts";
 * await createAndRemoveIn("/tmp");
 * ```
 */
export async function createAndRemoveIn(dir: string): Promise<void> {
  await Deno.remove(await Deno.makeTempFile({ dir, prefix: ".herd-check-" }));
}
