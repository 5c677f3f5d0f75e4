// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Packet identifier allocation: 1..65,535, round robin, skipping identifiers still in use ([MQTT-2.2.1-3]).
 *
 * @module
 */

/** Hands out packet identifiers that are not in use. */
export class PacketIdAllocator {
  private next = 1;

  /**
   * The next free identifier after the last one given, or 0 when all 65,535 are in use.
   *
   * @param owner tells whether an identifier is taken (in flight, or awaiting SUBACK / UNSUBACK); an object
   *   rather than a function so that callers need no closure per allocation.
   */
  allocate(owner: { idInUse(id: number): boolean }): number {
    for (let tries = 0; tries < 65_535; tries++) {
      const id = this.next;
      this.next = id === 65_535 ? 1 : id + 1;
      if (!owner.idInUse(id)) return id;
    }
    return 0;
  }
}
