/**
 * Peak memory of the current process: `process.memoryUsage.rss()` sampled on a timer, next to the kernel's own
 * high-water mark (`process.resourceUsage().maxRSS`, which also sees spikes between two samples).
 */

/** What {@link startMemorySampler} measured. */
export interface MemoryPeak {
  /** Kernel high-water mark of this process's resident set, in bytes. */
  readonly maxRssBytes: number;
  /** Largest `process.memoryUsage.rss()` seen by the sampler, in bytes. */
  readonly sampledPeakRssBytes: number;
  readonly samples: number;
}

/**
 * Starts sampling RSS every `intervalMs` (the timer is unref'd, so it never keeps the process alive).
 *
 * @example
 * const sampler = startMemorySampler(50);
 * await work();
 * const { maxRssBytes, sampledPeakRssBytes } = sampler.stop();
 */
export function startMemorySampler(intervalMs = 50): { stop(): MemoryPeak } {
  let peak = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    samples++;
    if (rss > peak) peak = rss;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      // Linux reports maxRSS in KiB.
      return { maxRssBytes: process.resourceUsage().maxRSS * 1024, sampledPeakRssBytes: peak, samples: samples + 1 };
    },
  };
}
