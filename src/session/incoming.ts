// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Incoming publications: acknowledging QoS 1 and 2, delivering a QoS 2 message exactly once even when the broker
 * sends it again, and enforcing the Receive Maximum this client announced. Part of the session engine.
 *
 * @module
 */
import { ReasonCode } from '../packet/reason-codes.js';
import type { Packet, ProtocolVersion, PublishPacket } from '../packet/types.js';
import type { SessionStore } from './store.js';
import { InboundAliases } from './topic-aliases.js';

/** What the incoming side needs from the engine around it. */
export interface IncomingHost {
  send(packet: Packet): void;
  deliver(message: PublishPacket): void;
  protocolError(message: string, reasonCode: number): void;
  version(): ProtocolVersion;
  /** The Receive Maximum this client announced (65,535 when it did not). */
  receiveMaximum(): number;
  /** Whether the connection is up, past CONNACK. */
  online(): boolean;
  /** A message was refused, not delivered (its acknowledgement carried the reason); `why` says why. */
  rejected(packet: PublishPacket, why: string): void;
}

/** A delivered QoS 1/2 message whose acknowledgement waits for the application (manual acknowledgement). */
interface PendingAck {
  packetId: number;
  qos: 1 | 2;
  /** The connection it arrived on: a QoS 1 acknowledgement means nothing on another. */
  epoch: number;
  /** The reason code to send, once the application has acknowledged; undefined until then. */
  reasonCode: number | undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Handles PUBLISH and PUBREL from the broker. */
export class Incoming {
  private readonly aliases = new InboundAliases();
  // Manual acknowledgement: delivered messages in the order they arrived, acknowledged or not.
  private pending: PendingAck[] = [];
  private epoch = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly host: IncomingHost,
    private readonly options: { manualAck: boolean; validatePayloadFormat: boolean },
  ) {}

  /** A connection opened: no topic aliases yet; the broker may use up to `topicAliasMaximum` of them. */
  connectionReset(topicAliasMaximum: number): void {
    this.aliases.reset(topicAliasMaximum);
    this.connectionLost();
  }

  /**
   * The connection ended. The broker sends unacknowledged QoS 1 messages again (they reach the application
   * again, so acknowledging the old delivery means nothing now); a QoS 2 message stays delivered once, and its
   * PUBREC still waits for the application, or for the next connection if it acknowledged meanwhile.
   */
  connectionLost(): void {
    this.epoch++;
    if (this.pending.length > 0) this.pending = this.pending.filter((p) => p.qos === 2);
  }

  /** The broker has no session: the identifiers of messages still awaiting acknowledgement mean nothing. */
  sessionLost(): void {
    this.pending = [];
  }

  /** The current connection's number, for {@link Incoming.acknowledge}. */
  get connection(): number {
    return this.epoch;
  }

  /** A PUBLISH arrived. */
  onPublish(packet: PublishPacket): void {
    const id = packet.packetId ?? 0;
    const host = this.host;
    if (packet.properties?.topicAlias !== undefined) {
      const fault = this.aliases.resolve(packet);
      if (fault !== undefined) {
        host.protocolError(fault.message, fault.reasonCode);
        return;
      }
    }
    const manual = this.options.manualAck;
    if (packet.qos === 2 && (this.store.hasIncoming(id) || (manual && this.pendingQoS2(id)))) {
      // The broker sent it again before our PUBREC arrived: it was delivered already. Acknowledge it, unless
      // the application has not acknowledged it yet (manual acknowledgement): then its PUBREC waits for that.
      // One acknowledged while the connection was down is answered now, as the broker sends it again after the
      // reconnect: sending it at CONNACK instead could free a refused identifier before this resend arrives.
      const entry = manual ? this.pending.find((p) => p.packetId === id && p.qos === 2) : undefined;
      if (entry === undefined) host.send({ type: 'pubrec', packetId: id, reasonCode: 0 });
      else if (entry.reasonCode !== undefined) this.flush();
      return;
    }
    if (packet.qos > 0 && host.version() === 5) {
      const max = host.receiveMaximum();
      const unacknowledged = this.store.incomingCount + (manual ? this.pendingUnrecorded() : 0);
      if (unacknowledged >= max) {
        host.protocolError(
          `more than ${max} QoS 1/2 messages unacknowledged`,
          ReasonCode.ReceiveMaximumExceeded,
        );
        return;
      }
    }
    // [MQTT-3.3.2-…] Payload Format Indicator 1 promises UTF-8; a client that checks answers 0x99 when it is not.
    if (this.options.validatePayloadFormat && packet.properties?.payloadFormatIndicator === 1) {
      if (!isUtf8(packet.payload)) {
        const reasonCode = ReasonCode.PayloadFormatInvalid;
        if (packet.qos > 0 && manual) {
          // Behind messages still awaiting the application: the refusal keeps its place in the order.
          this.pending.push({ packetId: id, qos: packet.qos as 1 | 2, epoch: this.epoch, reasonCode });
          this.flush();
        } else if (packet.qos === 1) host.send({ type: 'puback', packetId: id, reasonCode });
        else if (packet.qos === 2) host.send({ type: 'pubrec', packetId: id, reasonCode });
        host.rejected(packet, 'the payload is not UTF-8, though its Payload Format Indicator says so');
        return;
      }
    }
    if (packet.qos === 0) {
      host.deliver(packet);
      return;
    }
    // With manual acknowledgement the identifier is recorded when the application acknowledges: a session that
    // outlives the process must deliver again a message the application never acknowledged.
    if (packet.qos === 2 && !manual) this.store.addIncoming(id);
    if (manual)
      this.pending.push({ packetId: id, qos: packet.qos, epoch: this.epoch, reasonCode: undefined });
    host.deliver(packet);
    if (!manual) {
      host.send(
        packet.qos === 1
          ? { type: 'puback', packetId: id, reasonCode: 0 }
          : { type: 'pubrec', packetId: id, reasonCode: 0 },
      );
    }
  }

  /**
   * The application acknowledged a message it received (manual acknowledgement), with a reason code (MQTT 5;
   * 0x80 and above refuse it). Acknowledgements go out in the order the messages arrived, as MQTT requires
   * ([MQTT-4.6.0-2], [MQTT-4.6.0-3]): one acknowledged early waits for those before it, and all wait while the
   * connection is down. Returns false when there is nothing to acknowledge (already done, or a QoS 1 message of
   * a connection that has ended).
   */
  acknowledge(packetId: number, qos: 1 | 2, epoch: number, reasonCode: number): boolean {
    const entry = this.pending.find(
      (p) =>
        p.packetId === packetId &&
        p.qos === qos &&
        p.reasonCode === undefined &&
        (qos === 2 || p.epoch === epoch),
    );
    if (entry === undefined) return false;
    entry.reasonCode = this.host.version() === 5 ? reasonCode : 0;
    // Recorded at once, even offline: the application has the message, so a resend must not deliver it again.
    if (qos === 2 && entry.reasonCode < 0x80) this.store.addIncoming(packetId);
    this.flush();
    return true;
  }

  // Sends the acknowledgements at the head of the order that the application has made, while connected.
  private flush(): void {
    if (!this.host.online()) return;
    let done = 0;
    for (const p of this.pending) {
      if (p.reasonCode === undefined) break;
      done++;
      if (p.qos === 1) this.host.send({ type: 'puback', packetId: p.packetId, reasonCode: p.reasonCode });
      else {
        // A refused QoS 2 message ends with that PUBREC (no PUBREL comes); it was never recorded.
        this.host.send({ type: 'pubrec', packetId: p.packetId, reasonCode: p.reasonCode });
      }
    }
    if (done > 0) this.pending = this.pending.slice(done);
  }

  // Messages awaiting their acknowledgement that the store does not count yet: QoS 1 ones (also those acknowledged
  // early, whose PUBACK has not gone: the broker still counts them) and QoS 2 ones not acknowledged in success.
  private pendingUnrecorded(): number {
    let n = 0;
    for (const p of this.pending) {
      if (p.qos === 1 || p.reasonCode === undefined || p.reasonCode >= 0x80) n++;
    }
    return n;
  }

  private pendingQoS2(packetId: number): boolean {
    return this.pending.some((p) => p.packetId === packetId && p.qos === 2);
  }

  /** A PUBREL arrived: the QoS 2 flow ends with PUBCOMP, also for an identifier we do not know (MQTT 5 says so). */
  onPubrel(packetId: number): void {
    const known = this.store.hasIncoming(packetId);
    if (known) this.store.deleteIncoming(packetId);
    const reasonCode = known || this.host.version() !== 5 ? 0 : ReasonCode.PacketIdentifierNotFound;
    this.host.send({ type: 'pubcomp', packetId, reasonCode });
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
