// SPDX-License-Identifier: EPL-2.0 OR BSD-3-Clause
/**
 * Reading messages from a stream (stdin for `pub -s` and `pub -l`) as bytes, since a payload need not be UTF-8.
 * Reading stops, and the stream is released, as soon as the signal aborts, even while waiting for input.
 *
 * @module
 */

async function* chunks(stream: NodeJS.ReadableStream, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (signal.aborted) return;
  const it = stream[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<IteratorResult<unknown>>((resolve) => {
    onAbort = () => resolve({ done: true, value: undefined });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), aborted]);
      if (r.done === true) return;
      const chunk = r.value;
      yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    }
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    // Ends the iteration early when aborted or when the consumer stopped; a no-op after the stream's end.
    await it.return?.();
  }
}

/** The whole stream, as one payload (`pub -s`). */
export async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks(stream, signal)) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * The stream's lines without their `\n` (`pub -l`), as they arrive; an empty line is an empty message, and a last
 * line without `\n` counts too.
 */
export async function* readLines(
  stream: NodeJS.ReadableStream,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let rest: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks(stream, signal)) {
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      yield data.subarray(start, nl);
      start = nl + 1;
    }
    // A copy, so that a short remainder does not keep a large chunk alive.
    rest = Uint8Array.prototype.slice.call(data, start);
  }
  if (rest.length > 0 && !signal.aborted) yield rest;
}
