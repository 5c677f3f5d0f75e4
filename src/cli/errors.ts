// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The CLI's own errors: a wrong command line, and a failure that ends a command with a message and an exit code.
 *
 * @module
 */

/** A wrong command line (unknown flag, missing or invalid value, conflicting flags): exit code 1, usage hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure at run time that ends the command: its message is printed as is (unless `--quiet`). */
export class FatalError extends Error {
  override readonly name = 'FatalError';

  /** @param exitCode the process exit code (default 1). */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
