// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * One timer for the engine's next deadline (CONNACK wait, PINGREQ due, PINGREQ unanswered). The keep-alive
 * deadline moves with every packet, so re-arming a timer per packet would cost more than the packet; instead an
 * armed timer that is early simply fires, lets the engine look, and is armed again for the deadline then in force.
 *
 * @module
 */

/** A single unref'd timer following a moving deadline. */
export class DeadlineTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Number.POSITIVE_INFINITY;

  /** `deadline` gives the next deadline (ms since the epoch) or undefined; `fire` runs when one passes. */
  constructor(
    private readonly deadline: () => number | undefined,
    private readonly fire: (now: number) => void,
  ) {}

  /** Makes sure a timer is armed no later than the current deadline. */
  arm(): void {
    const at = this.deadline();
    if (at === undefined) {
      this.clear();
      return;
    }
    if (this.timer !== undefined && this.at <= at) return;
    this.clear();
    this.at = at;
    const t = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Number.POSITIVE_INFINITY;
        this.fire(Date.now());
        this.arm();
      },
      Math.max(0, at - Date.now()),
    );
    // The socket keeps the process alive while connected; the timer must not keep it alive on its own.
    (t as { unref?: () => void }).unref?.();
    this.timer = t;
  }

  /** Disarms. */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }
}
