// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Makes sure the Mosquitto broker used by the integration tests is installed. A no-op when it is; as root on a
// Debian-like system it installs the package, anywhere else it says what to install and fails, so that a missing
// broker shows up as one clear line instead of dozens of failing tests.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `name` is an executable file in PATH or in one of `extra` directories. */
function findExecutable(name, extra = []) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra].filter(Boolean);
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here; try the next directory
    }
  }
  return false;
}

// Debian puts the broker in /usr/sbin, which is not in an ordinary user's PATH.
if (!findExecutable('mosquitto', ['/usr/sbin', '/usr/local/sbin'])) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && findExecutable('apt-get', ['/usr/bin'])) {
    console.log('ensure-mosquitto: installing the Debian package "mosquitto" (apt-get install -y mosquitto)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'mosquitto'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  } else {
    console.error(
      'mqttkit tests need Mosquitto 2.x: install the Debian package "mosquitto" (apt-get install mosquitto)',
    );
    process.exit(1);
  }
}
