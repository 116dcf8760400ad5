import { ConsulOpsError } from '../shared/errors';

/** Error codes of the snapshot-contents domain. Compare on these. */
export const SNAPSHOT_CONTENTS_ERROR_CODES = {
  malformed: 'STATE_BIN_MALFORMED',
} as const;

/** Where and why a state.bin stopped making sense. `record` 0 is the header. */
export interface StateBinDefect {
  /** 1-based record number (0 = the `{LastIndex}` header). */
  readonly record: number;
  /** The record's type byte; absent for the header. */
  readonly type?: number;
  /** `KVS`, `Unknown(77)`… or `header`. */
  readonly typeName: string;
  /** Byte offset in state.bin where the defect was found. */
  readonly offset: number;
  /** What is wrong, one lowercase clause, e.g. `the file ends inside the record's value`. */
  readonly reason: string;
}

/**
 * Whether the bytes given to the decoder were checked against the archive's SHA256SUMS before the verdict:
 * `matched` for a verified archive (the decoder runs inside its verifying pass), `not-checked` for a bare state.bin.
 */
export type ChecksumVerdict = 'matched' | 'not-checked';

/**
 * A state.bin record could not be decoded. With `matched` checksums the bytes are exactly what Consul wrote, so the
 * cause is a state.bin format this release does not know (a newer Consul) or a Consul bug, not a damaged copy; the
 * backup itself stays restorable by Consul.
 */
export class StateBinMalformedError extends ConsulOpsError {
  readonly defect: StateBinDefect;

  constructor(defect: StateBinDefect, checksums: ChecksumVerdict) {
    const where = defect.record === 0 ? 'state.bin header' : `state.bin record ${defect.record} (${defect.typeName})`;
    const why =
      checksums === 'matched'
        ? "the archive's SHA256SUMS matched, so these are the bytes Consul wrote: a newer state.bin format or a Consul bug"
        : 'its checksum was not checked, so the file may also be damaged';
    super(
      SNAPSHOT_CONTENTS_ERROR_CODES.malformed,
      `${where} is malformed at byte ${defect.offset}: ${defect.reason}; ${why}`,
      checksums === 'matched'
        ? 'The backup is intact and Consul can restore it; only its contents could not be listed. Check that this consul-ops release supports the Consul version that wrote it, and report the record number, type and offset.'
        : 'Inspect the archive (.snap) instead of the bare state.bin so that its SHA256SUMS are verified, or take a new snapshot.',
      { context: { ...defect, checksums } },
    );
    this.defect = defect;
  }
}
