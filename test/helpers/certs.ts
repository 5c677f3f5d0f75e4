// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Test certificates, made with the `openssl` command into a temporary directory: a CA, a server certificate for
 * `localhost` / 127.0.0.1 and a client certificate signed by it, and a second, unrelated CA for "wrong CA" tests.
 * EC P-256 keys keep generation to a few milliseconds; the set is made once per process and removed at exit.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate with its private key, as file paths (for Mosquitto) and as text (for `node:tls`). */
export interface CertPair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** The certificates of the test setup. */
export interface TestCerts {
  /** The directory holding every file. */
  dir: string;
  /** The CA that signed `server` and `client`. */
  ca: CertPair;
  /** Server certificate, CN `localhost`, SAN `DNS:localhost, IP:127.0.0.1`. */
  server: CertPair;
  /** Client certificate, CN `mqttkit-test-client`. */
  client: CertPair;
  /** A CA that signed nothing we use: trusting it must make verification of the server fail. */
  otherCa: CertPair;
}

// Our own config, so that the result depends neither on the system's openssl.cnf nor on its default extensions.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const DAYS = '7';

let cached: TestCerts | undefined;

/**
 * Returns the test certificates, generating them on the first call.
 *
 * @throws {Error} when `openssl` is missing or fails (its stderr is in the message).
 */
export function testCerts(): TestCerts {
  cached ??= generate();
  return cached;
}

function generate(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mqttkit-certs-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'openssl.cnf');
  writeFileSync(config, OPENSSL_CONFIG);
  const ca = selfSigned(dir, config, 'ca', 'mqttkit-test-ca');
  return {
    dir,
    ca,
    server: signed(dir, config, ca, 'server', 'localhost', 'server_ext'),
    client: signed(dir, config, ca, 'client', 'mqttkit-test-client', 'client_ext'),
    otherCa: selfSigned(dir, config, 'other-ca', 'mqttkit-unrelated-ca'),
  };
}

function selfSigned(dir: string, config: string, name: string, cn: string): CertPair {
  const [certPath, keyPath] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
  openssl(
    ['req', '-x509', '-config', config, ...KEY_ARGS, '-keyout', keyPath, '-out', certPath],
    ['-subj', `/CN=${cn}`, '-days', DAYS, '-sha256', '-extensions', 'ca_ext'],
  );
  return load(certPath, keyPath);
}

function signed(dir: string, config: string, ca: CertPair, name: string, cn: string, ext: string): CertPair {
  const [certPath, keyPath, csrPath] = ['crt', 'key', 'csr'].map((e) => join(dir, `${name}.${e}`)) as [
    string,
    string,
    string,
  ];
  openssl(
    ['req', '-new', '-config', config, ...KEY_ARGS, '-keyout', keyPath, '-out', csrPath],
    ['-subj', `/CN=${cn}`],
  );
  // A random serial rather than -CAcreateserial: no serial file to share between the two signings.
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  openssl(
    ['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', serial],
    ['-days', DAYS, '-sha256', '-extfile', config, '-extensions', ext, '-out', certPath],
  );
  return load(certPath, keyPath);
}

function openssl(...args: string[][]): void {
  try {
    execFileSync('openssl', args.flat(), { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.flat().join(' ')} failed: ${stderr.trim()}`, { cause: e });
  }
}

function load(certPath: string, keyPath: string): CertPair {
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}
