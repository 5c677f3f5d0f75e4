// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * One timer for the engine's next deadline (CONNACK wait, PINGREQ due, PINGREQ unanswered). The keep-alive
 * deadline moves with every packet, so re-arming a timer per packet would cost more than the packet; instead an
 * armed timer that is early simply fires, lets the engine look, and is armed again for the deadline then in force.
 *
 * Browsers throttle chains of timers in hidden tabs: a timer set from a timer set from a timer … (five deep) runs
 * at most once a minute under Chrome's intensive throttling, which would make the keep-alive miss its deadline. So
 * a timer armed from inside the timer callback is replaced by a fresh one the next time something else (a packet
 * received, a write) arms it: the chain stays a few timers deep, at the cost of one extra setTimeout per firing.
 *
 * @module
 */

/** A single unref'd timer following a moving deadline. */
export class DeadlineTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Number.POSITIVE_INFINITY;
  // Whether the armed timer was set from inside the timer callback, and whether that callback is running now.
  private chained = false;
  private firing = false;

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
    if (this.timer !== undefined && this.at <= at && (this.firing || !this.chained)) return;
    this.clear();
    this.at = at;
    this.chained = this.firing;
    const t = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Number.POSITIVE_INFINITY;
        this.firing = true;
        try {
          this.fire(Date.now());
          this.arm();
        } finally {
          this.firing = false;
        }
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
