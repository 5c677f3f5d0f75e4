// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Turns a file system failure of the session store into a {@link SessionStoreError} that says why in words.
 *
 * @module
 */
import { SessionStoreError } from '../errors.js';

/** `message`, followed by why `cause` happened (a full disk, a denied permission, …), as a typed error. */
export function storeError(message: string, cause: unknown, path: string): SessionStoreError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : cause instanceof Error
            ? cause.message
            : String(cause);
  return new SessionStoreError(`${message}: ${why}`, { path, cause });
}
