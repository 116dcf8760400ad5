import type { Writable } from 'node:stream';

/** A progress line for long transfers (bytes verified, bytes sent). */
export interface Progress {
  update(bytes: number): void;
  done(summary?: string): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, done: () => undefined };

/**
 * Draws a single self-overwriting progress line on a terminal; does nothing when `enabled` is false (not a TTY, or
 * `--json`), so scripts and logs get no control characters.
 */
export function createProgress(options: {
  readonly label: string;
  readonly stream: Writable;
  readonly enabled: boolean;
  readonly totalBytes?: number;
  readonly now?: () => number;
  /** Minimum milliseconds between redraws. */
  readonly intervalMs?: number;
}): Progress {
  if (!options.enabled) return NO_PROGRESS;
  const now = options.now ?? Date.now;
  const started = now();
  const interval = options.intervalMs ?? 200;
  let lastDraw = 0;
  let bytes = 0;
  const draw = (): void => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = formatBytes(bytes / seconds);
    const total = options.totalBytes;
    const share = total ? ` ${Math.min(100, Math.floor((bytes / total) * 100))}% of ${formatBytes(total)}` : '';
    options.stream.write(`\r${options.label}: ${formatBytes(bytes)}${share} (${rate}/s)\u001b[K`);
  };
  return {
    update(n: number) {
      bytes = n;
      if (now() - lastDraw >= interval) {
        lastDraw = now();
        draw();
      }
    },
    done(summary?: string) {
      draw();
      options.stream.write(summary ? `\r${options.label}: ${summary}\u001b[K\n` : '\n');
    },
  };
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
