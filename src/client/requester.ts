// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * MQTT 5 request / response (section 4.10): `client.request()` publishes with a Response Topic and Correlation
 * Data and resolves with the response carrying the same Correlation Data. Every request of a client shares one
 * private response subscription, made on the first request, whose topic starts with the broker's Response
 * Information when the broker gives one.
 *
 * @module
 */

import { ClientClosedError, TimeoutError } from '../errors.js';
import { InvalidArgumentError } from '../packet/errors.js';
import type { PublishProperties, QoS } from '../packet/types.js';
import type { PublishOptions } from './events.js';
import type { Message } from './message.js';
import type { Payload } from './payload.js';

/** Options of `client.request()`. */
export interface RequestOptions {
  /** Milliseconds to wait for the response (default 30,000); rejects with {@link TimeoutError}. */
  timeout?: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
  /** QoS of the request (default 1). */
  qos?: QoS;
  /** Further PUBLISH properties of the request (user properties, content type …). */
  properties?: Omit<PublishProperties, 'responseTopic' | 'correlationData'>;
}

/** What the requester needs from the client. */
export interface RequesterHooks {
  /** The client identifier (part of the response topic). */
  clientId(): string;
  /** The broker's Response Information from the last CONNACK, if any. */
  responseInformation(): string | undefined;
  /** Subscribes to the response topic (QoS 1); rejects when refused. */
  subscribe(topic: string): Promise<void>;
  publish(topic: string, payload: Payload, options: PublishOptions): Promise<unknown>;
}

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
}

/** The requests of one client awaiting their responses. */
export class Requester {
  private readonly pending = new Map<string, Pending>();
  private topic: string | undefined;
  private subscribed: Promise<void> | undefined;
  private counter = 0;
  private readonly prefix = randomHex(6);

  constructor(private readonly hooks: RequesterHooks) {}

  /** Publishes a request and resolves with its response. */
  async request(topic: string, payload: Payload, options: RequestOptions = {}): Promise<Message> {
    const timeout = options.timeout ?? 30_000;
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new InvalidArgumentError(`timeout must be a positive number of ms, got ${String(timeout)}`);
    options.signal?.throwIfAborted();
    // Unique per request and client; not secret, only distinct.
    const key = `${this.prefix}-${(++this.counter).toString(36)}`;
    const correlationData = new TextEncoder().encode(key);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    // The time limit and the signal cover the whole request: the first one's response subscription, the PUBLISH
    // and the wait for the response.
    const response = new Promise<Message>((resolve, reject) => {
      this.pending.set(key, { resolve, reject });
      timer = setTimeout(
        () => reject(new TimeoutError(`no response to the request on ${topic} within ${timeout} ms`)),
        timeout,
      );
      if (options.signal !== undefined) {
        const signal = options.signal;
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      const responseTopic = await Promise.race([this.ensureSubscribed(), response.then(() => '')]);
      await Promise.race([
        this.hooks.publish(topic, payload, {
          qos: options.qos ?? 1,
          properties: { ...options.properties, responseTopic, correlationData },
        }),
        response,
      ]);
      return await response;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort);
      this.pending.delete(key);
    }
  }

  /** Takes a message that is a response to a pending request; returns whether it was one. */
  take(message: Message): boolean {
    if (this.topic === undefined || message.topic !== this.topic) return false;
    const data = message.properties?.correlationData;
    const pending = data === undefined ? undefined : this.pending.get(new TextDecoder().decode(data));
    // A late or unknown response on our private topic is nobody else's business either.
    pending?.resolve(message);
    return true;
  }

  /** The client ended: every pending request fails. */
  close(error: Error | undefined): void {
    const e = new ClientClosedError(error ? `the client ended: ${error.message}` : 'the client ended', {
      cause: error,
    });
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private ensureSubscribed(): Promise<string> {
    if (this.subscribed === undefined) {
      const info = this.hooks.responseInformation();
      const base = info === undefined || info === '' ? 'mqttkit/responses' : info.replace(/\/+$/, '');
      const topic = `${base}/${this.hooks.clientId()}/${this.prefix}`;
      this.subscribed = this.hooks.subscribe(topic).then(
        () => {
          this.topic = topic;
        },
        (e: unknown) => {
          this.subscribed = undefined; // the next request tries again
          throw e;
        },
      );
    }
    return this.subscribed.then(() => this.topic as string);
  }
}

function randomHex(bytes: number): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
