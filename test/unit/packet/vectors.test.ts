// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
// Golden vectors: each hand-written vector must encode to exactly its bytes and decode to exactly its packet.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decode,
  encode,
  PACKET_TYPE_NAMES,
  type Packet,
  type PacketTypeName,
  PROPERTIES,
  type PropertyContext,
} from '../../../src/packet/index.js';
import { fromHex, toHex, VECTORS } from '../../fixtures/vectors.js';

describe('golden vectors', () => {
  for (const v of VECTORS) {
    test(`vectors – ${v.name}`, () => {
      const bytes = fromHex(v.hex);
      const encoded = encode(v.packet, v.version);
      ok(encoded instanceof Uint8Array, 'encode returns a Uint8Array');
      strictEqual(toHex(encoded), v.hex, 'encoded bytes');
      deepStrictEqual(encoded, bytes);
      deepStrictEqual(decode(bytes, v.version), v.packet);
    });
  }
});

describe('golden vector fixtures', () => {
  test('vectors – names are unique', () => {
    const seen = new Set<string>();
    for (const v of VECTORS) {
      ok(!seen.has(v.name), `duplicate vector name: ${v.name}`);
      seen.add(v.name);
    }
  });

  // Checks the hand-written fixed header against the hand-written body, independently of the codec.
  test('vectors – remaining length of every vector matches its byte count', () => {
    for (const v of VECTORS) {
      const bytes = fromHex(v.hex);
      let value = 0;
      let multiplier = 1;
      let i = 1;
      for (;;) {
        const b = bytes[i++];
        if (b === undefined) throw new Error(`${v.name}: truncated remaining length`);
        value += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if (b < 0x80) break;
      }
      strictEqual(bytes.length - i, value, `${v.name}: remaining length ${value}, body ${bytes.length - i}`);
    }
  });

  test('vectors – every packet type appears in every version it exists in', () => {
    for (const version of [3, 4, 5] as const) {
      const types = new Set(VECTORS.filter((v) => v.version === version).map((v) => v.packet.type));
      for (const name of PACKET_TYPE_NAMES) {
        if (name === undefined || (name === 'auth' && version !== 5)) continue;
        ok(types.has(name), `no ${name} vector for version ${version}`);
      }
      if (version !== 5) ok(!types.has('auth'), `AUTH vector for version ${version}`);
    }
  });

  test('vectors – the payload sizes need two- and three-byte remaining lengths', () => {
    const lengthBytes = VECTORS.map((v) => {
      const bytes = fromHex(v.hex);
      let n = 1;
      while (((bytes[n] as number) & 0x80) !== 0) n++;
      return n;
    });
    ok(lengthBytes.includes(2), 'a vector with a two-byte remaining length');
    ok(lengthBytes.includes(3), 'a vector with a three-byte remaining length');
  });

  // The properties found by decoding the vectors' bytes, each with the context it was found in.
  function decodedProperties(): Array<{ context: PropertyContext; name: string }> {
    const found: Array<{ context: PropertyContext; name: string }> = [];
    const add = (context: PropertyContext, props: object | undefined): void => {
      for (const name of Object.keys(props ?? {})) found.push({ context, name });
    };
    for (const v of VECTORS) {
      if (v.version !== 5) continue;
      const p: Packet = decode(fromHex(v.hex), 5);
      if ('properties' in p) add(p.type, p.properties);
      if (p.type === 'connect') add('will', p.will?.properties);
    }
    return found;
  }

  test('vectors – every MQTT 5 property appears in a v5 vector, in a packet that allows it', () => {
    const found = decodedProperties();
    for (const spec of PROPERTIES) {
      const hit = found.some((f) => f.name === spec.name && spec.contexts.includes(f.context));
      ok(hit, `property ${spec.name} (0x${spec.id.toString(16)}) is in no v5 vector`);
    }
    const ids = new Set(
      found.map((f) => PROPERTIES.find((s) => s.name === f.name && s.contexts.includes(f.context))?.id),
    );
    const allIds = new Set(PROPERTIES.map((s) => s.id));
    strictEqual(allIds.size, 27, 'MQTT 5 defines 27 property identifiers');
    for (const id of allIds) ok(ids.has(id), `property identifier 0x${id.toString(16)} is in no v5 vector`);
  });

  test('vectors – MQTT 3 packets decode without properties', () => {
    for (const v of VECTORS) {
      if (v.version === 5) continue;
      const p = decode(fromHex(v.hex), v.version);
      ok(!('properties' in p), `${v.name}: unexpected properties key`);
      if (p.type === 'connect' && p.will !== undefined) ok(!('properties' in p.will), `${v.name}: will`);
      const type: PacketTypeName = p.type;
      ok(type !== 'auth', `${v.name}: AUTH before MQTT 5`);
    }
  });
});
