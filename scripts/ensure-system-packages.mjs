// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Makes sure the system packages the tests use are installed: Mosquitto (the broker of the integration tests),
// the proxy servers of the proxy tests (Dante, MicroSocks, tinyproxy) and Chromium (the browser test). A no-op when they are; as root on a Debian-like system it installs what is missing,
// anywhere else it says what to install and fails, so that a missing program shows up as one clear line instead of
// dozens of failing tests.
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

// What the tests run besides Node: the broker of the integration tests, the proxies of the proxy tests, and the
// browser of the browser test. Debian puts the broker and Dante in /usr/sbin, not in an ordinary user's PATH.
const SBIN = ['/usr/sbin', '/usr/local/sbin'];
const PACKAGES = [
  { executable: 'mosquitto', dirs: SBIN, pkg: 'mosquitto', why: 'Mosquitto 2.x' },
  { executable: 'danted', dirs: SBIN, pkg: 'dante-server', why: 'Dante (SOCKS4 / SOCKS5 proxy)' },
  { executable: 'microsocks', dirs: [], pkg: 'microsocks', why: 'MicroSocks (SOCKS5 proxy with a password)' },
  { executable: 'tinyproxy', dirs: SBIN, pkg: 'tinyproxy', why: 'tinyproxy (HTTP CONNECT proxy)' },
  { executable: 'chromium', dirs: [], pkg: 'chromium', why: 'Chromium (for the browser test)' },
];

const missing = PACKAGES.filter((p) => !findExecutable(p.executable, p.dirs));
if (missing.length > 0) {
  const names = missing.map((p) => p.pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && findExecutable('apt-get', ['/usr/bin'])) {
    console.log(
      `ensure-system-packages: installing the Debian packages ${names.join(', ')} (apt-get install -y)`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...names], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
  } else {
    for (const p of missing)
      console.error(
        `mqttkit tests need ${p.why}: install the Debian package "${p.pkg}" (apt-get install ${p.pkg})`,
      );
    process.exit(1);
  }
}
