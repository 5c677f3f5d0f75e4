// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Where a received message goes: the private response subscription of `request()`, the per-filter handlers
 * (paho's `message_callback_add`), the client's `message` event for messages no handler took (as paho's
 * `on_message`), every `client.messages()` iterator, and the subscription handles it came for.
 *
 * @module
 */
import { TopicRouter } from '../topic-router.js';
import type { Message } from './message.js';
import type { MessageQueue } from './message-queue.js';
import { Subscriptions } from './subscriptions.js';

/** A per-filter message handler. */
export type MessageHandler = (message: Message) => void;

/** What the dispatcher calls back into the client. */
export interface DispatchHooks {
  /** Emit the client's `message` event. */
  emitMessage(message: Message): void;
  /** A handler threw: report it without stopping the others. */
  handlerFailed(error: unknown): void;
  /** Offer the message to `request()` first; true when it was a response it was waiting for. */
  takeResponse(message: Message): boolean;
}

/** Routes each received message. */
export class Dispatcher {
  /** The subscription handles. */
  readonly subscriptions = new Subscriptions();
  // Created on first use: most clients have neither.
  private handlers: TopicRouter<MessageHandler> | undefined;
  private iterators: Set<MessageQueue<Message>> | undefined;

  constructor(private readonly hooks: DispatchHooks) {}

  /** Adds a handler for messages whose topic matches `filter`. @throws {InvalidArgumentError} for a bad filter. */
  addHandler(filter: string, handler: MessageHandler): void {
    this.handlers ??= new TopicRouter();
    this.handlers.add(filter, handler);
  }

  /** Removes `handler` (or every handler) of `filter`; returns whether there was one. */
  removeHandler(filter: string, handler?: MessageHandler): boolean {
    return this.handlers?.remove(filter, handler) ?? false;
  }

  /** Adds a `client.messages()` iterator. */
  addIterator(q: MessageQueue<Message>): void {
    this.iterators ??= new Set();
    this.iterators.add(q);
  }

  /** Removes an iterator that ended. */
  removeIterator(q: MessageQueue<Message>): void {
    this.iterators?.delete(q);
  }

  /** Delivers a message. */
  dispatch(message: Message): void {
    if (this.hooks.takeResponse(message)) return;
    let handled = false;
    if (this.handlers !== undefined && this.handlers.size > 0) {
      const matched = this.handlers.match(message.topic);
      for (const handler of matched) {
        try {
          handler(message);
        } catch (e) {
          this.hooks.handlerFailed(e);
        }
      }
      handled = matched.length > 0;
    }
    if (!handled) this.hooks.emitMessage(message);
    if (this.iterators !== undefined) for (const q of this.iterators) q.push(message);
    this.subscriptions.dispatch(message);
  }

  /** Ends every iterator and subscription handle (the client ended). */
  endAll(): void {
    if (this.iterators !== undefined) for (const q of this.iterators) q.end();
    this.iterators = undefined;
    this.subscriptions.endAll();
  }
}
