// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * The streaming decoder: takes the byte chunks a transport hands over, of any size and split anywhere, and emits
 * whole packets. A packet that lies entirely inside one chunk is decoded in place; only a packet split across
 * chunks is gathered, into a buffer of its own that grows as its bytes arrive (so a peer announcing a huge packet
 * costs memory only for what it actually sends). Each byte is copied at most once on its way to a payload.
 *
 * @module
 */
import { type BodyDecoder, checkFirstByte, decodeBody } from './decode-body.js';
import { ProtocolError } from './errors.js';
import { MALFORMED, Reader } from './reader.js';
import type { Packet, ProtocolVersion } from './types.js';
import { MAX_PACKET_SIZE } from './writer.js';

/** Reason code of a packet over the maximum size. */
const PACKET_TOO_LARGE = 0x95;
const MIN_GATHER = 16 * 1024;

/** Options of {@link PacketDecoder}. */
export interface DecoderOptions {
  /** Protocol version of the packets to expect; settable later through the `protocolVersion` field. Default 5. */
  protocolVersion?: ProtocolVersion;
  /**
   * Largest packet accepted, in bytes, fixed header included (the Maximum Packet Size this side announces). A
   * larger one fails with reason code 0x95 as soon as its length is read. Default: MQTT's own limit.
   */
  maxPacketSize?: number;
}

/**
 * The streaming decoder, for the packet bodies one `BodyDecoder` accepts: all of them ({@link PacketDecoder}) or
 * those a server sends (the client's, so that its bundle holds no decoders for packets only servers read).
 */
export class StreamDecoder {
  /** Version used for every packet but CONNECT (which states its own); change it once the version is known. */
  protocolVersion: ProtocolVersion;
  /** See {@link DecoderOptions.maxPacketSize}. */
  maxPacketSize: number;

  private readonly onPacket: (packet: Packet) => void;
  private readonly body: BodyDecoder;
  private readonly reader = new Reader();
  private failure: ProtocolError | undefined;
  // Fixed header in progress: first byte (-1: none yet), remaining length so far, its multiplier and byte count.
  private first = -1;
  private remaining = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  // A packet split across chunks: its body so far, how much of it has arrived and its full length.
  private gather: Uint8Array | undefined;
  private gathered = 0;
  private bodyLength = 0;
  private headerLength = 0;

  /** `onPacket` is called synchronously for each packet, in order, and must not throw; `body` decodes each body. */
  constructor(onPacket: (packet: Packet) => void, options: DecoderOptions | undefined, body: BodyDecoder) {
    this.onPacket = onPacket;
    this.body = body;
    this.protocolVersion = options?.protocolVersion ?? 5;
    this.maxPacketSize = options?.maxPacketSize ?? MAX_PACKET_SIZE;
  }

  /** Bytes held for a packet not yet complete (header bytes included). */
  get buffered(): number {
    if (this.first < 0) return 0;
    return this.gather === undefined ? 1 + this.lengthBytes : this.headerLength + this.gathered;
  }

  /**
   * Feeds the next chunk of the stream. Every packet completed by it is passed to `onPacket` before `push`
   * returns; the chunk may be reused by the caller afterwards.
   *
   * @throws {ProtocolError} `MQTT_ERR_PROTOCOL` when the stream breaks a rule of the specification; the packets
   *   before the bad one have been delivered. The stream cannot be resynchronised, so every later call throws
   *   the same error until {@link reset}.
   */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.run(chunk);
    } catch (e) {
      if (e instanceof ProtocolError) this.failure = e;
      throw e;
    }
  }

  /** Forgets any partial packet and any earlier failure, for a new connection. */
  reset(): void {
    this.failure = undefined;
    this.first = -1;
    this.gather = undefined;
    this.gathered = 0;
  }

  private run(chunk: Uint8Array): void {
    const n = chunk.length;
    const r = this.reader;
    let i = 0;
    while (i < n) {
      if (this.gather !== undefined) {
        i = this.fill(chunk, i);
        continue;
      }
      if (this.first < 0) {
        const first = chunk[i] as number;
        r.reset(chunk, i, i, i, false);
        checkFirstByte(r, first, this.protocolVersion);
        this.first = first;
        this.remaining = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        i++;
        continue;
      }
      const b = chunk[i++] as number;
      this.lengthBytes++;
      this.remaining += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (b >= 0x80) {
        if (this.lengthBytes === 4) this.fail(MALFORMED, 'remaining length is longer than 4 bytes');
        // The length is not complete, but a continuation bit already promises at least one more length byte and
        // `multiplier` more body bytes: refuse now rather than hold bytes of a packet that cannot fit.
        const least = 2 + this.lengthBytes + this.remaining + this.multiplier;
        if (least > this.maxPacketSize) this.tooLarge(`at least ${least}`);
        continue;
      }
      if (b === 0 && this.lengthBytes > 1)
        this.fail(MALFORMED, 'remaining length is not encoded in the fewest bytes');
      const headerLength = 1 + this.lengthBytes;
      const total = headerLength + this.remaining;
      if (total > this.maxPacketSize) this.tooLarge(String(total));
      if (n - i >= this.remaining) {
        const end = i + this.remaining;
        const first = this.first;
        this.first = -1;
        r.reset(chunk, i, end, i - headerLength, false);
        const packet = this.body(r, first, this.protocolVersion);
        i = end;
        this.onPacket(packet);
      } else {
        this.headerLength = headerLength;
        this.bodyLength = this.remaining;
        this.gathered = 0;
        this.gather = new Uint8Array(Math.min(this.remaining, Math.max(MIN_GATHER, 2 * (n - i))));
      }
    }
  }

  // Copies what `chunk` holds of the split packet; decodes it when complete. Returns the next index in `chunk`.
  private fill(chunk: Uint8Array, i: number): number {
    let body = this.gather as Uint8Array;
    const take = Math.min(chunk.length - i, this.bodyLength - this.gathered);
    if (this.gathered + take > body.length) {
      const grown = new Uint8Array(
        Math.min(this.bodyLength, Math.max(2 * body.length, this.gathered + take)),
      );
      grown.set(body.subarray(0, this.gathered));
      body = grown;
      this.gather = grown;
    }
    body.set(chunk.subarray(i, i + take), this.gathered);
    this.gathered += take;
    if (this.gathered === this.bodyLength) {
      const first = this.first;
      this.first = -1;
      this.gather = undefined;
      const r = this.reader;
      r.reset(body, 0, this.bodyLength, -this.headerLength, true);
      this.onPacket(this.body(r, first, this.protocolVersion));
    }
    return i + take;
  }

  private tooLarge(size: string): never {
    this.fail(
      PACKET_TOO_LARGE,
      `packet of ${size} bytes exceeds the maximum packet size of ${this.maxPacketSize}`,
    );
  }

  private fail(reasonCode: number, message: string): never {
    throw new ProtocolError(reasonCode, message, this.lengthBytes);
  }
}

/**
 * Decodes a byte stream into packets.
 *
 * ```ts
 * const decoder = new PacketDecoder((packet) => handle(packet), { protocolVersion: 4 });
 * socket.on('data', (chunk) => decoder.push(chunk));
 * ```
 */
export class PacketDecoder extends StreamDecoder {
  /** `onPacket` is called synchronously for each packet, in order; it must not throw. */
  constructor(onPacket: (packet: Packet) => void, options?: DecoderOptions) {
    super(onPacket, options, decodeBody);
  }
}

/**
 * Decodes exactly one complete packet from `bytes`.
 *
 * @throws {ProtocolError} `MQTT_ERR_PROTOCOL` when the bytes are not one well-formed packet of `version`
 *   (including when they hold less or more than one packet).
 */
export function decode(
  bytes: Uint8Array,
  version: ProtocolVersion,
  options?: { maxPacketSize?: number },
): Packet {
  let result: Packet | undefined;
  let count = 0;
  const decoder = new PacketDecoder(
    (p) => {
      result = p;
      count++;
    },
    { protocolVersion: version, maxPacketSize: options?.maxPacketSize ?? MAX_PACKET_SIZE },
  );
  decoder.push(bytes);
  if (count !== 1 || decoder.buffered > 0 || result === undefined) {
    const what = count === 0 ? 'an incomplete packet' : 'more than one packet';
    throw new ProtocolError(
      MALFORMED,
      `expected exactly one packet, got ${what}`,
      count === 0 ? bytes.length : undefined,
    );
  }
  return result;
}
