/**
 * Receives the decompressed bytes of state.bin while the archive is verified, in the same pass (for a state.bin
 * decoder: it reads the bytes once, with no copy made for it). Its verdict counts only if the verification passes:
 * `end()` runs when state.bin's last byte was read, before SHA256SUMS is checked.
 */
export interface StateBinSink {
  /**
   * The next piece of state.bin. The view is valid only during the call (its memory is reused afterwards): copy
   * what must be kept. A throw stops the verification with that error.
   */
  write(chunk: Uint8Array): void;
  /** state.bin ended; every byte was written. A throw stops the verification with that error. */
  end(): void;
}
