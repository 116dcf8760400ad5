import { isUtf8 } from 'node:buffer';
import type { CountChange, NamedChanges, SnapshotContentsDiff } from './content-diff';

/**
 * Text and JSON forms of a {@link SnapshotContentsDiff}. Counts come first; KV values are printed only with
 * `showValues` (and only if the indexes kept them): a value may be a secret.
 */

/** Options of both forms. */
export interface DiffFormatOptions {
  /**
   * Print KV values (the indexes must have been built with `keepValues`).
   * @default false
   */
  readonly showValues?: boolean;
  /**
   * Lines listed per kind of change (added, removed, changed) of each section in the text form; the rest is summed
   * up as "… and N more added".
   * @default - all of them
   */
  readonly maxListed?: number;
}

/**
 * The text form, e.g.
 * ```
 * Counts                        before      after     change
 *   KV entries                   48210       1002     -47208
 * KV keys: 0 added, 47208 removed, 0 changed
 *   - config/payments/url
 * ```
 */
export function formatSnapshotDiff(diff: SnapshotContentsDiff, options: DiffFormatOptions = {}): string {
  const show = options.showValues === true;
  const lines: string[] = [countsTable('Counts', diff.counts, true), countsTable('Records by type (changed only)', diff.recordTypes, false)].filter((t) => t !== '');
  // One group of lines per part (added, removed, changed), each cut at maxListed on its own, so that a flood of
  // additions never hides the removals.
  const section = (title: string, parts: readonly (readonly [string, number])[], groups: readonly (readonly string[])[]) => {
    lines.push(`${title}: ${parts.map(([what, n]) => `${n} ${what}`).join(', ')}`);
    groups.forEach((items, g) => {
      const max = options.maxListed ?? items.length;
      lines.push(...items.slice(0, max).map((i) => `  ${i}`));
      if (items.length > max) lines.push(`  … and ${items.length - max} more ${parts[g][0]}`);
    });
  };
  const { kv } = diff;
  section(
    'KV keys',
    [['added', kv.added.length], ['removed', kv.removed.length], ['changed', kv.changed.length]],
    [
      kv.added.map((r) => `+ ${r.key}${show && r.value ? ` = ${showValue(r.value)}` : ''}`),
      kv.removed.map((r) => `- ${r.key}${show && r.value ? ` = ${showValue(r.value)}` : ''}`),
      kv.changed.map((c) => `~ ${c.key} (${c.changed.join(', ')})${show && c.before && c.after && c.changed.includes('value') ? `: ${showValue(c.before)} → ${showValue(c.after)}` : ''}`),
    ],
  );
  if (!show && kv.added.length + kv.removed.length + kv.changed.length > 0) lines.push('  (values are not shown; pass --show-values to print them)');
  const { tokens } = diff;
  section(
    'ACL tokens',
    [['added', tokens.added.length], ['removed', tokens.removed.length], ['changed', tokens.changed.length]],
    [tokens.added.map((t) => `+ ${t.accessorId} ${JSON.stringify(t.description)}`), tokens.removed.map((t) => `- ${t.accessorId} ${JSON.stringify(t.description)}`), tokens.changed.map((t) => `~ ${t.accessorId} ${JSON.stringify(t.description)}`)],
  );
  namedSection(section, 'ACL policies', diff.policies);
  namedSection(section, 'ACL roles', diff.roles);
  const { intentions } = diff;
  section(
    'Intentions',
    [['added', intentions.added.length], ['removed', intentions.removed.length], ['changed', intentions.changed.length]],
    [
      intentions.added.map((i) => `+ ${i.source} -> ${i.destination}: ${i.rule}`),
      intentions.removed.map((i) => `- ${i.source} -> ${i.destination}: ${i.rule}`),
      intentions.changed.map((i) => `~ ${i.source} -> ${i.destination}: ${i.before} → ${i.after}`),
    ],
  );
  section('Services', [['added', diff.services.added.length], ['removed', diff.services.removed.length]], [diff.services.added.map((s) => `+ ${s}`), diff.services.removed.map((s) => `- ${s}`)]);
  return lines.join('\n');
}

/** The JSON form: plain data; KV values (as `{ utf8 }` or `{ base64 }`) only with `showValues`. */
export function snapshotDiffToJson(diff: SnapshotContentsDiff, options: DiffFormatOptions = {}): unknown {
  const show = options.showValues === true;
  const value = (v: Buffer | undefined) => (show && v !== undefined ? { value: jsonValue(v) } : {});
  return {
    counts: diff.counts.map((c) => ({ ...c, delta: c.after - c.before })),
    recordTypes: diff.recordTypes.map((c) => ({ ...c, delta: c.after - c.before })),
    kv: {
      added: diff.kv.added.map((r) => ({ key: r.key, ...value(r.value) })),
      removed: diff.kv.removed.map((r) => ({ key: r.key, ...value(r.value) })),
      changed: diff.kv.changed.map((c) => ({
        key: c.key,
        changed: c.changed,
        ...(show && c.before && c.after ? { before: jsonValue(c.before), after: jsonValue(c.after) } : {}),
      })),
    },
    tokens: diff.tokens,
    policies: diff.policies,
    roles: diff.roles,
    intentions: diff.intentions,
    services: diff.services,
  };
}

function namedSection(section: (title: string, parts: readonly (readonly [string, number])[], groups: readonly (readonly string[])[]) => void, title: string, changes: NamedChanges): void {
  section(
    title,
    [['added', changes.added.length], ['removed', changes.removed.length], ['changed', changes.changed.length]],
    [changes.added.map((n) => `+ ${n}`), changes.removed.map((n) => `- ${n}`), changes.changed.map((n) => `~ ${n}`)],
  );
}

function countsTable(title: string, counts: readonly CountChange[], all: boolean): string {
  if (counts.length === 0 && !all) return '';
  const width = Math.max(28, ...counts.map((c) => c.name.length + 4));
  const num = (n: number) => String(n).padStart(10);
  const head = `${title.padEnd(width)}${'before'.padStart(10)}${'after'.padStart(10)}${'change'.padStart(10)}`;
  const rows = counts.map((c) => {
    const delta = c.after - c.before;
    return `  ${c.name.padEnd(width - 2)}${num(c.before)}${num(c.after)}${(delta === 0 ? '' : delta > 0 ? `+${delta}` : `${delta}`).padStart(10)}`.trimEnd();
  });
  return [head, ...rows].join('\n');
}

/** A value for a terminal: quoted text when it is UTF-8, else base64. */
function showValue(v: Buffer): string {
  return isUtf8(v) ? JSON.stringify(v.toString('utf8')) : `base64:${v.toString('base64')}`;
}

function jsonValue(v: Buffer): { utf8: string } | { base64: string } {
  return isUtf8(v) ? { utf8: v.toString('utf8') } : { base64: v.toString('base64') };
}
