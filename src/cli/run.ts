// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The dispatcher: `mqttkit pub …`, `mqttkit sub …`, `--help`, `--version`. Free of process globals, so that it
 * runs the same under the binary (`main.ts`) and in tests.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from './args.js';
import type { CliOptions, Command } from './cli-options.js';
import { UsageError } from './errors.js';
import { helpText } from './help.js';
import { runPub } from './pub.js';
import type { CliIo } from './report.js';
import { runSub } from './sub.js';

function version(): string {
  // The same relative path from src/cli/ and from dist/cli/.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the command line `argv` (without the node and script paths) and resolves with the exit code. `signal`
 * aborts a running command gracefully (SIGINT, SIGTERM).
 */
export async function run(argv: readonly string[], io: CliIo, signal: AbortSignal): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(helpText());
    return 1;
  }
  if (first === '--help' || first === 'help') {
    io.stdout.write(helpText());
    return 0;
  }
  if (first === '--version') {
    io.stdout.write(`mqttkit ${version()}\n`);
    return 0;
  }
  if (first !== 'pub' && first !== 'sub') {
    io.stderr.write(`Error: Unknown command '${first}'.\n\nUse 'mqttkit --help' to see usage.\n`);
    return 1;
  }
  const command: Command = first;
  if (rest.includes('--help')) {
    io.stdout.write(helpText(command));
    return 0;
  }
  let options: CliOptions;
  try {
    options = parseArgs(command, rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`Error: ${e.message}\n\nUse 'mqttkit ${command} --help' to see usage.\n`);
    return 1;
  }
  return command === 'pub' ? runPub(options, io, signal) : runSub(options, io, signal);
}
