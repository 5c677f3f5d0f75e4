// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Writes the files of a test Mosquitto: its config, password file and ACL file. No process is started here.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCerts } from './certs.js';

/** The listener ports of a test broker, all on 127.0.0.1. */
export interface BrokerPorts {
  /** Plain MQTT over TCP, anonymous access. */
  tcp: number;
  /** MQTT over TLS with the server certificate of {@link TestCerts}, anonymous access. */
  tls: number;
  /** MQTT over TLS that requires a client certificate signed by the test CA. */
  tlsClientCert: number;
  /** MQTT over WebSocket (plain HTTP upgrade), anonymous access. */
  ws: number;
  /** MQTT over secure WebSocket (TLS with the server certificate of {@link TestCerts}), anonymous access. */
  wss: number;
  /** Plain MQTT over TCP that requires a username and password from {@link TEST_USERS}, with an ACL. */
  auth: number;
}

/** A username and password accepted by the auth listener. */
export interface TestUser {
  username: string;
  password: string;
}

/** Users of the auth listener: alice may do anything; bob may only read and write under `public/`. */
export const TEST_USERS = {
  alice: { username: 'alice', password: 'alice-secret' },
  bob: { username: 'bob', password: 'bob-secret' },
} as const satisfies Record<string, TestUser>;

const ACL = `user alice
topic readwrite #

user bob
topic read public/#
topic write public/#
`;

/** Options of {@link writeBrokerFiles}. */
export interface BrokerFileOptions {
  dir: string;
  ports: BrokerPorts;
  certs: TestCerts;
  /** Keep sessions and messages across restarts, in `dir`. */
  persistence?: boolean;
  /** Appended to the config as is. */
  extraConfig?: string;
}

/**
 * Writes `mosquitto.conf`, `passwd` and `acl` into `options.dir` and returns the config path.
 *
 * @throws {Error} when `mosquitto_passwd` is missing or fails.
 */
export function writeBrokerFiles(options: BrokerFileOptions): string {
  const { dir } = options;
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  const users = Object.values(TEST_USERS);
  users.forEach((user, i) => {
    // -c creates the file, so only for the first user.
    const args = i === 0 ? ['-b', '-c'] : ['-b'];
    execFileSync('mosquitto_passwd', [...args, passwordFile, user.username, user.password], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  });
  writeFileSync(aclFile, ACL);
  const configPath = join(dir, 'mosquitto.conf');
  writeFileSync(configPath, brokerConfig(options, passwordFile, aclFile));
  return configPath;
}

function brokerConfig(options: BrokerFileOptions, passwordFile: string, aclFile: string): string {
  const { dir, ports, certs } = options;
  const tls = [
    `cafile ${certs.ca.certPath}`,
    `certfile ${certs.server.certPath}`,
    `keyfile ${certs.server.keyPath}`,
  ];
  const lines = [
    'per_listener_settings true',
    // Started as root, Mosquitto switches to the `mosquitto` user and then cannot open a log file we own.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type all',
    'log_timestamp_format %H:%M:%S',
    // The defaults (20 in flight, 1,000 queued) silently drop QoS 1/2 messages to a slow subscriber while still
    // acknowledging the publisher; tests must see every message, so lift the limits (0 = unlimited).
    'max_inflight_messages 0',
    'max_queued_messages 0',
    'max_queued_bytes 0',
    // Without it the broker's Nagle algorithm holds a second small write (a PUBACK after a forwarded PUBLISH on the
    // same connection) until the peer's delayed ACK, adding ~40 ms to such flows. `extraConfig` may turn it off.
    'set_tcp_nodelay true',
    ...(options.persistence === true
      ? ['persistence true', `persistence_location ${dir}/`]
      : ['persistence false']),
    '',
    `listener ${ports.tcp} 127.0.0.1`,
    'allow_anonymous true',
    '',
    `listener ${ports.tls} 127.0.0.1`,
    'allow_anonymous true',
    ...tls,
    '',
    `listener ${ports.tlsClientCert} 127.0.0.1`,
    'allow_anonymous true',
    ...tls,
    'require_certificate true',
    'use_identity_as_username false',
    '',
    `listener ${ports.ws} 127.0.0.1`,
    'protocol websockets',
    'allow_anonymous true',
    '',
    `listener ${ports.wss} 127.0.0.1`,
    'protocol websockets',
    'allow_anonymous true',
    ...tls,
    '',
    `listener ${ports.auth} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${passwordFile}`,
    `acl_file ${aclFile}`,
    '',
    options.extraConfig ?? '',
    '',
  ];
  return lines.join('\n');
}
