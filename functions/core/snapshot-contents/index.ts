/**
 * snapshot-contents: what is inside a Consul snapshot's state.bin, read in the same pass that verifies the archive.
 * This file is the domain's package boundary; other domains import from here.
 *
 * - {@link createStateBinDecoder}: the streaming decoder (per-type table as `consul snapshot inspect` computes it,
 *   `-kvdetails`, the content summary, the diff index, KV extraction for `restore-kv`);
 * - {@link buildInspectDocument}, {@link formatInspectPretty}, {@link formatInspectJson}, {@link formatByteSize}:
 *   inspect's output, byte for byte;
 * - {@link diffSnapshotContents}, {@link formatSnapshotDiff}, {@link snapshotDiffToJson}: `diff`;
 * - {@link evaluateContentDrop}: the content-drop alarm;
 * - {@link decodeSnapshotArchive}, {@link createVerifyingPass}, {@link decoderSink}: decoding in the pass that verifies
 *   an archive.
 *
 * Reference: /work/shared/reference/state-bin.md.
 */
export { formatByteSize } from './byte-size';
export type { IntentionSource } from './config-entry';
export { diffSnapshotContents, KV_ASPECTS, SUMMARY_COUNTS } from './content-diff';
export type { Changes, CountChange, IntentionChange, IntentionRef, KvAspect, KvChange, KvKeyRef, NamedChanges, SnapshotContentsDiff, TokenRef } from './content-diff';
export { formatSnapshotDiff, snapshotDiffToJson, type DiffFormatOptions } from './content-diff-format';
export { CONTENT_DROP_CHECK, DEFAULT_CONTENT_DROP_THRESHOLDS, evaluateContentDrop, resolveContentDropThresholds } from './content-drop';
export type { ContentDropContext, ContentDropEvaluation, ContentDropThresholds, ContentMetric } from './content-drop';
export type { ContentIndex, ContentIndexOptions, KvFingerprint, NamedFingerprint, TokenFingerprint } from './content-index';
export { MAX_SUMMARY_DESTINATIONS, MAX_SUMMARY_PREFIXES, type ContentSummary } from './content-summary';
export { SNAPSHOT_CONTENTS_ERROR_CODES, StateBinMalformedError, type ChecksumVerdict, type StateBinDefect } from './errors';
export { buildInspectDocument, formatInspectJson, formatInspectPretty } from './inspect-format';
export type { InspectDocument, InspectMeta, InspectRow, InspectStats } from './inspect-format';
export { DEFAULT_KV_DEPTH, type KvDetailsOptions } from './kv-details';
export type { KvEntry, KvExtractOptions } from './kv-extract';
export { messageTypeName } from './message-types';
export { createVerifyingPass, decodeSnapshotArchive, decodeStateBinStream, decoderSink, type DecodedArchive } from './read-contents';
export type { PassDecoderOptions, VerifyingPass, VerifyingPassFactory } from './read-contents';
export { createStateBinDecoder } from './state-bin-decoder';
export type { SnapshotContents, StateBinDecodeResult, StateBinDecoder, StateBinDecoderOptions, StateBinEndOptions } from './state-bin-decoder';
export type { TypeStat } from './type-stats';
