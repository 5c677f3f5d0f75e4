// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Timestamps for `sub -F`: ISO-8601 (`%I`), Unix time with nanoseconds (`%U`), the `tst` of `%j`, and the
 * `strftime(3)` conversions behind `@X`, in local time like mosquitto_sub.
 *
 * @module
 */

/** A point in time with sub-millisecond precision: the wall clock plus nanoseconds within the second. */
export interface Instant {
  date: Date;
  /** Nanoseconds within the current second, 0 to 999,999,999. */
  nanos: number;
}

/** Now, as precisely as the platform tells. */
export function now(): Instant {
  const ms = performance.timeOrigin + performance.now();
  const date = new Date(Math.floor(ms));
  const nanos = Math.floor((ms % 1000) * 1e6);
  return { date, nanos: Math.min(Math.max(nanos, 0), 999_999_999) };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function pad(n: number, width = 2, fill = '0'): string {
  return String(n).padStart(width, fill);
}

/** The local UTC offset as `+hhmm`. */
function offset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  return Math.floor((d.getTime() - start.getTime()) / 86_400_000) + 1;
}

/**
 * One `strftime(3)` conversion (the character after `@`), in local time; `N` is mosquitto's nanoseconds. An
 * unknown conversion is returned as written, `@` included.
 */
export function strftime(c: string, t: Instant): string {
  const d = t.date;
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  switch (c) {
    case '@':
      return '@';
    case 'N':
      return pad(t.nanos, 9);
    case 'Y':
      return String(d.getFullYear());
    case 'y':
      return pad(d.getFullYear() % 100);
    case 'C':
      return pad(Math.floor(d.getFullYear() / 100));
    case 'm':
      return pad(d.getMonth() + 1);
    case 'd':
      return pad(d.getDate());
    case 'e':
      return pad(d.getDate(), 2, ' ');
    case 'H':
      return pad(d.getHours());
    case 'k':
      return pad(d.getHours(), 2, ' ');
    case 'I':
      return pad(h12);
    case 'l':
      return pad(h12, 2, ' ');
    case 'M':
      return pad(d.getMinutes());
    case 'S':
      return pad(d.getSeconds());
    case 'p':
      return d.getHours() < 12 ? 'AM' : 'PM';
    case 'P':
      return d.getHours() < 12 ? 'am' : 'pm';
    case 'j':
      return pad(dayOfYear(d), 3);
    case 'a':
      return (DAYS[d.getDay()] as string).slice(0, 3);
    case 'A':
      return DAYS[d.getDay()] as string;
    case 'b':
    case 'h':
      return (MONTHS[d.getMonth()] as string).slice(0, 3);
    case 'B':
      return MONTHS[d.getMonth()] as string;
    case 'u':
      return String(d.getDay() === 0 ? 7 : d.getDay());
    case 'w':
      return String(d.getDay());
    case 'F':
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    case 'T':
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    case 'R':
      return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    case 'D':
      return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`;
    case 'z':
      return offset(d);
    case 'Z':
      return Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
        .formatToParts(d)
        .find((p) => p.type === 'timeZoneName')?.value as string;
    case 's':
      return String(Math.floor(d.getTime() / 1000));
    case 'n':
      return '\n';
    case 't':
      return '\t';
    default:
      return `@${c}`;
  }
}

/** ISO-8601 local date and time with offset, as `%I` prints it: `2016-08-10T09:47:38+0100`. */
export function isoTime(t: Instant): string {
  return `${strftime('F', t)}T${strftime('T', t)}${offset(t.date)}`;
}

/** The `tst` field of `%j` / `%J`: ISO-8601 with microseconds, `2020-05-06T22:12:00.000000+0100`. */
export function jsonTime(t: Instant): string {
  return `${strftime('F', t)}T${strftime('T', t)}.${pad(Math.floor(t.nanos / 1000), 6)}${offset(t.date)}`;
}

/** Unix time with nanoseconds, as `%U` prints it: `1470818943.786368637`. */
export function unixTime(t: Instant): string {
  return `${Math.floor(t.date.getTime() / 1000)}.${pad(t.nanos, 9)}`;
}
