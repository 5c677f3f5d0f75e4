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
}

/** Handles PUBLISH and PUBREL from the broker. */
export class Incoming {
  private readonly aliases = new InboundAliases();

  constructor(
    private readonly store: SessionStore,
    private readonly host: IncomingHost,
  ) {}

  /** A connection opened: no topic aliases yet; the broker may use up to `topicAliasMaximum` of them. */
  connectionReset(topicAliasMaximum: number): void {
    this.aliases.reset(topicAliasMaximum);
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
    if (packet.qos === 0) {
      host.deliver(packet);
    } else if (packet.qos === 1) {
      host.deliver(packet);
      host.send({ type: 'puback', packetId: id, reasonCode: 0 });
    } else if (this.store.hasIncoming(id)) {
      // The broker sent it again before our PUBREC arrived: acknowledge, but it was delivered already.
      host.send({ type: 'pubrec', packetId: id, reasonCode: 0 });
    } else {
      const max = host.receiveMaximum();
      if (host.version() === 5 && this.store.incomingCount >= max) {
        host.protocolError(`more than ${max} QoS 2 messages in flight`, ReasonCode.ReceiveMaximumExceeded);
        return;
      }
      this.store.addIncoming(id);
      host.deliver(packet);
      host.send({ type: 'pubrec', packetId: id, reasonCode: 0 });
    }
  }

  /** A PUBREL arrived: the QoS 2 flow ends with PUBCOMP, also for an identifier we do not know (MQTT 5 says so). */
  onPubrel(packetId: number): void {
    const known = this.store.hasIncoming(packetId);
    if (known) this.store.deleteIncoming(packetId);
    const reasonCode = known || this.host.version() !== 5 ? 0 : ReasonCode.PacketIdentifierNotFound;
    this.host.send({ type: 'pubcomp', packetId, reasonCode });
  }
}
