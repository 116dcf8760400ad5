import type { Readable } from 'node:stream';

/** Destroys `stream` with the abort reason when `signal` fires; returns the unsubscribe. */
export function abortDestroys(stream: Readable, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => undefined;
  const onAbort = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
