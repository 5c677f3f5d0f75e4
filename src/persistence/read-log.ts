// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Reading a session log back. Records are appended one at a time, so only the last one can be incomplete (the
 * process died while writing it): a record cut short, or a bad checksum with nothing valid after it, is a torn
 * tail, reported and then cut off. A bad record followed by more data is corruption, and an error: a session
 * silently missing changes from its middle could resend a message the broker has already completed.
 *
 * @module
 */
import fs from 'node:fs';
import { SessionStoreError } from '../errors.js';
import { bodyLength, decodeRecord, FRAME, frameProblem, LOG_HEADER } from './records.js';
import { Replay, type ReplayedSession } from './replay.js';

/** What {@link readLog} found. */
export interface LogContents {
  session: ReplayedSession;
  /** Bytes of the header and whole records. */
  validBytes: number;
  /** Bytes after them: a torn last record (0 when none). */
  tornBytes: number;
}

/** Reads and replays the log at `file` (an absent or empty file is an empty session). @throws {SessionStoreError} */
export function readLog(file: string): LogContents {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    bytes = new Uint8Array(0);
  }
  const replay = new Replay();
  if (bytes.length < LOG_HEADER.length) {
    // Nothing, or a header cut short by a kill while the log was being created.
    return { session: replay.result(), validBytes: 0, tornBytes: bytes.length };
  }
  for (let i = 0; i < LOG_HEADER.length; i++) {
    if (bytes[i] !== LOG_HEADER[i]) {
      throw new SessionStoreError(`${file} is not a session log of this version (bad header)`, {
        path: file,
      });
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = LOG_HEADER.length;
  while (pos < bytes.length) {
    const problem = frameProblem(bytes, view, pos);
    if (problem !== undefined) {
      if (isTail(bytes, view, pos))
        return { session: replay.result(), validBytes: pos, tornBytes: bytes.length - pos };
      throw new SessionStoreError(`${file} is corrupt at byte ${pos}: ${problem}, and records follow`, {
        path: file,
      });
    }
    const length = bodyLength(view, pos);
    const body = bytes.subarray(pos + FRAME, pos + FRAME + length);
    try {
      replay.apply(decodeRecord(body));
    } catch (e) {
      throw new SessionStoreError(
        `${file} is corrupt at byte ${pos}: ${e instanceof Error ? e.message : String(e)}`,
        { path: file, cause: e },
      );
    }
    pos += FRAME + length;
  }
  return { session: replay.result(), validBytes: pos, tornBytes: 0 };
}

// Whether the bad record at `pos` is the torn end of the log: no chain of whole records starts after it and runs
// to the end of the file. A record torn by a kill is the last thing written; whole records running to the end
// behind a bad one mean the damage is elsewhere. (A chain that stops short is part of the torn record's own
// payload, which may hold anything, even a session log.) The frame's own check makes this linear in practice.
function isTail(bytes: Uint8Array, view: DataView, pos: number): boolean {
  for (let p = pos + 1; p + FRAME <= bytes.length; p++) {
    let q = p;
    while (q < bytes.length && frameProblem(bytes, view, q) === undefined) q += FRAME + bodyLength(view, q);
    if (q === bytes.length && q > p) return false;
  }
  return true;
}
