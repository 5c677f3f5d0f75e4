// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Logging: the `logger` option gets what the client does, `logPackets` traces every packet, and no line ever
// carries a password, authentication data or a payload — checked against a real Mosquitto with credentials.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Logger } from '../../src/node.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';

interface Line {
  level: string;
  message: string;
  fields: unknown;
}

function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return { logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }, lines };
}

describe('client logging', () => {
  let broker: Broker;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker.stop();
  });

  it('logging – connect, packets and end are logged, and the password and payload never appear', async () => {
    const { logger, lines } = recorder();
    const { username, password } = broker.users.alice;
    const payloadSecret = 'payload-secret-7f3a';
    const client = await connect(`mqtt://127.0.0.1:${broker.ports.auth}`, {
      username,
      password,
      logger,
      logPackets: true,
      reconnect: false,
    });
    await client.publish('log/test', payloadSecret, { qos: 1 });
    await client.end();
    const text = JSON.stringify(lines);
    assert.ok(
      lines.some((l) => l.level === 'info' && /connected/.test(l.message)),
      `a connected line in ${text}`,
    );
    assert.ok(
      lines.some((l) => l.message === 'sent CONNECT'),
      'the CONNECT is traced',
    );
    assert.ok(
      lines.some((l) => l.message === 'received PUBACK'),
      'the PUBACK is traced',
    );
    assert.ok(!text.includes(password), 'the password is never logged');
    assert.ok(!text.includes(payloadSecret), 'payloads are never logged');
    assert.ok(text.includes(username), 'the user name is shown (it says who connected)');
  });

  it('logging – a refused connection is logged as a warning, with no credentials', async () => {
    const { logger, lines } = recorder();
    const wrong = 'not-the-password-91c2';
    await assert.rejects(
      connect(`mqtt://127.0.0.1:${broker.ports.auth}`, {
        username: 'alice',
        password: wrong,
        logger,
        logPackets: true,
        reconnect: false,
      }),
    );
    const text = JSON.stringify(lines);
    assert.ok(
      lines.some((l) => l.level === 'warn'),
      `a warning in ${text}`,
    );
    assert.ok(!text.includes(wrong), 'the password is never logged');
  });

  it('logging – without logger, logPackets or DEBUG nothing is traced, and log events still fire', async () => {
    const previous = process.env['DEBUG'];
    delete process.env['DEBUG'];
    try {
      const events: string[] = [];
      const client = await connect(`mqtt://127.0.0.1:${broker.ports.tcp}`, {
        reconnect: false,
        onClient: (c) => c.on('log', (_level, message) => events.push(message)),
      });
      await client.end();
      assert.ok(
        events.some((m) => /connected/.test(m)),
        `a log event in ${JSON.stringify(events)}`,
      );
    } finally {
      if (previous !== undefined) process.env['DEBUG'] = previous;
    }
  });
});
