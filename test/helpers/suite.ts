// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The setup most integration test files share: one Mosquitto for the `describe` block, a {@link ClientPool}
 * emptied after each test, and a topic prefix of the block's own ({@link brokerSuite}); or a fresh scripted fake
 * broker for each test ({@link fakeBrokerSuite}).
 *
 * ```ts
 * describe('client QoS', () => {
 *   const mosquitto = brokerSuite('qos');
 *   const { pool, prefix } = mosquitto;
 *   test('…', async () => {
 *     const client = await pool.connect(mosquitto.url);
 *     await client.publish(`${prefix}/t`, 'x');
 *   });
 * });
 * ```
 *
 * @module
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { ClientPool, topicPrefix } from './clients.js';
import { type FakeBroker, startFakeBroker } from './fake-broker.js';
import { type Broker, type StartBrokerOptions, startBroker } from './mosquitto.js';

/** What {@link brokerSuite} returns. */
export interface BrokerSuite {
  /**
   * The running broker. Set by the `before` hook: read it inside hooks and tests, not while the `describe`
   * callback runs (a getter, so do not destructure it).
   *
   * @throws {Error} when read before the broker has started.
   */
  readonly broker: Broker;
  /** `mqtt://` URL of the broker's plain TCP listener; a getter like {@link BrokerSuite.broker}. */
  readonly url: string;
  /** Clients of the tests, destroyed after each test and once more after the block. */
  readonly pool: ClientPool;
  /** A topic prefix of this block's own ({@link topicPrefix}). */
  readonly prefix: string;
  /** A topic below {@link BrokerSuite.prefix} not handed out before: `${prefix}/t1`, `${prefix}/t2`, … */
  fresh(): string;
}

/**
 * Registers, in the `describe` callback that calls it, the hooks of a block of tests against one Mosquitto:
 * `before` starts the broker with `options`, `afterEach` empties the pool, and `after` empties it and stops the
 * broker. Hooks the caller registers afterwards run after these (a `before` of its own can use the broker; an
 * `after` of its own runs once the broker has stopped).
 *
 * @param area - names the topic prefix (`mqttkit-it/<area>/…`), so that parallel test files never share topics.
 * @param options - passed to {@link startBroker}.
 */
export function brokerSuite(area: string, options?: StartBrokerOptions): BrokerSuite {
  let broker: Broker | undefined;
  let topics = 0;
  const pool = new ClientPool();
  const prefix = topicPrefix(area);

  before(async () => {
    broker = await startBroker(options);
  });
  afterEach(() => pool.cleanup());
  after(async () => {
    await pool.cleanup();
    await broker?.stop();
  });

  const started = (): Broker => {
    if (broker === undefined) throw new Error(`brokerSuite('${area}'): the broker is not started yet`);
    return broker;
  };
  return {
    get broker() {
      return started();
    },
    get url() {
      const b = started();
      return `mqtt://${b.host}:${b.ports.tcp}`;
    },
    pool,
    prefix,
    fresh: () => `${prefix}/t${++topics}`,
  };
}

/** What {@link fakeBrokerSuite} returns. */
export interface FakeBrokerSuite {
  /**
   * The fake broker of the running test, a new one for each test. A getter: read it inside hooks and tests.
   *
   * @throws {Error} when read before the first test has started.
   */
  readonly broker: FakeBroker;
  /** Clients of the test, destroyed after it, before its fake broker closes. */
  readonly pool: ClientPool;
}

/**
 * Registers, in the `describe` callback that calls it, hooks that give each test a scripted fake broker of its
 * own: `beforeEach` starts one, `afterEach` destroys the test's clients in {@link FakeBrokerSuite.pool} and closes
 * it. Both hooks are bounded (5 s), so that a client that never closes fails the run instead of hanging it.
 */
export function fakeBrokerSuite(): FakeBrokerSuite {
  let broker: FakeBroker | undefined;
  const pool = new ClientPool();

  beforeEach(
    async () => {
      broker = await startFakeBroker();
    },
    { timeout: 5_000 },
  );
  afterEach(
    async () => {
      await pool.cleanup();
      await broker?.close();
    },
    { timeout: 5_000 },
  );

  return {
    get broker() {
      if (broker === undefined) throw new Error('fakeBrokerSuite: no fake broker before the first test');
      return broker;
    },
    pool,
  };
}
