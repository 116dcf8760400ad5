import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Growth over the baseline taken when sampling started, in bytes. */
export interface LiveMemoryPeaks {
  /** `arrayBuffers` (Buffers, typed arrays) still referenced after a full collection. */
  buffers: number;
  /** `heapUsed + arrayBuffers` still referenced after a full collection. */
  heapAndBuffers: number;
  /** Resident set size (includes garbage not yet returned to the OS). */
  rss: number;
  samples: number;
}

let gc: (() => void) | undefined;

/** A full collection on demand, without starting jest with `--expose-gc`. */
function collect(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Samples what a streaming operation keeps referenced: every `intervalMs`, a full collection and then
 * `process.memoryUsage()`. A raw peak of `arrayBuffers` mostly measures garbage the collector has not reached yet and
 * varies with the machine's load (35 to 74 MB between two runs of the same test); the live peak does not, while
 * anything that buffers a whole stream still shows as growth proportional to the bytes streamed.
 */
export function sampleLiveMemory(intervalMs = 200): { stop(): LiveMemoryPeaks } {
  collect();
  const base = process.memoryUsage();
  const peaks: LiveMemoryPeaks = { buffers: 0, heapAndBuffers: 0, rss: 0, samples: 0 };
  const sample = (): void => {
    collect();
    const now = process.memoryUsage();
    peaks.buffers = Math.max(peaks.buffers, now.arrayBuffers - base.arrayBuffers);
    peaks.heapAndBuffers = Math.max(peaks.heapAndBuffers, now.heapUsed + now.arrayBuffers - base.heapUsed - base.arrayBuffers);
    peaks.rss = Math.max(peaks.rss, now.rss - base.rss);
    peaks.samples += 1;
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): LiveMemoryPeaks {
      clearInterval(timer);
      return { ...peaks };
    },
  };
}
