/**
 * The layout's contract, checked on the source itself (README "Architecture"): no import circles inside
 * `functions/` (type-only imports included), a pure core, package boundaries that are respected, and a test for every
 * core file (or the domain test that covers it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports and re-exports of a file (type-only ones included), resolved to repo paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => m[1]);
  return specifiers.map((s) => {
    const base = resolve(ROOT, dirname(file), s);
    const found = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
    return relative(ROOT, found ?? base);
  });
}

/** Strongly connected components with more than one file (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indexes.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexes.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexes.get(w)!));
    }
    if (low.get(v) === indexes.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexes.has(v)) visit(v);
  return out;
}

const FUNCTIONS = sourceFiles('functions');
const GRAPH = new Map(FUNCTIONS.map((f) => [f, importsOf(f)]));

/**
 * Core files without a test file of their own, and the test that covers them (a domain's scenario table, or the
 * tests of the files that use them). Interfaces-only files (`ports.ts`) and package indexes need none.
 */
const COVERED_BY: Readonly<Record<string, string>> = {
  'functions/core/backup/backup-report.ts': 'test/functions/core/backup/job.test.ts',
  'functions/core/backup/content-check.ts': 'test/functions/core/backup/job.test.ts',
  'functions/core/backup/errors.ts': 'test/functions/core/backup/workflow.int.test.ts',
  'functions/core/certs/observations.ts': 'test/functions/core/certs/evaluation.test.ts',
  'functions/core/certs/proxy-evaluation.ts': 'test/functions/core/certs/evaluation.test.ts',
  'functions/core/intentions/drift.ts': 'test/functions/core/intentions/audit.test.ts',
  'functions/core/intentions/errors.ts': 'test/functions/core/intentions/baseline.test.ts',
  'functions/core/intentions/l7.ts': 'test/functions/core/intentions/audit.test.ts',
  'functions/core/intentions/model.ts': 'test/functions/core/intentions/audit.test.ts',
  'functions/core/report/dedupe.ts': 'test/functions/core/report/report.test.ts',
  'functions/core/report/slack-message.ts': 'test/functions/handlers/slack-forwarder.test.ts',
  'functions/core/restore/errors.ts': 'test/functions/core/restore/workflow.test.ts',
  'functions/core/restore/job.ts': 'test/functions/cli/job-reports.int.test.ts',
  'functions/core/restore/kv-job.ts': 'test/functions/core/restore/kv-workflow.test.ts',
  'functions/core/restore/kv-report.ts': 'test/functions/core/restore/kv-workflow.test.ts',
  'functions/core/restore/preflight.ts': 'test/functions/core/restore/workflow.test.ts',
  'functions/core/restore/read-backup.ts': 'test/functions/core/restore/workflow.test.ts',
  'functions/core/restore/selection.ts': 'test/functions/core/restore/workflow.test.ts',
  'functions/core/shared/abort-destroys.ts': 'test/functions/core/restore/workflow.test.ts',
  'functions/core/snapshot-archive/state-sink.ts': 'test/functions/core/snapshot-archive/archive-verifier.test.ts',
  'functions/core/retention/retention-report.ts': 'test/functions/core/retention/job.test.ts',
  'functions/core/rotation/errors.ts': 'test/functions/core/rotation/steps.test.ts',
  'functions/core/rotation/pending-value.ts': 'test/functions/core/rotation/sweep.test.ts',
  'functions/core/rotation/sweep.ts': 'test/functions/core/rotation/steps.test.ts',
  'functions/core/shared/defaults.ts': 'test/lib/constructs/token-rotation.test.ts',
  'functions/core/shared/errors.ts': 'test/functions/cli/main.test.ts',
  'functions/core/shared/secret-name.ts': 'test/functions/handlers/rotate-token.test.ts',
  'functions/core/shared/severity.ts': 'test/functions/core/certs/thresholds.test.ts',
  'functions/core/snapshot-archive/errors.ts': 'test/functions/core/snapshot-archive/verifier.test.ts',
  'functions/core/snapshot-archive/go-json.ts': 'test/functions/core/snapshot-archive/meta.test.ts',
  'functions/core/snapshot-archive/gzip.ts': 'test/functions/core/snapshot-archive/verifier.test.ts',
  'functions/core/snapshot-archive/tar.ts': 'test/functions/core/snapshot-archive/reader.test.ts',
  'functions/core/snapshot-contents/captured-slots.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/config-entry.ts': 'test/functions/core/snapshot-contents/content-index.test.ts',
  'functions/core/snapshot-contents/errors.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/kv-key.ts': 'test/functions/core/snapshot-contents/kv-details.test.ts',
  'functions/core/snapshot-contents/message-types.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/msgpack-format.ts': 'test/functions/core/snapshot-contents/msgpack-cursor.test.ts',
  'functions/core/snapshot-contents/prefix-table.ts': 'test/functions/core/snapshot-contents/kv-details.test.ts',
  'functions/core/snapshot-contents/record-sink.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/read-contents.ts': 'test/functions/cli/inspect.test.ts',
  'functions/core/snapshot-contents/record-walk.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/scan-plan.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/state-bin-scanner.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
  'functions/core/snapshot-contents/type-stats.ts': 'test/functions/core/snapshot-contents/state-bin-decoder.test.ts',
};

/** Packages with a real boundary: code outside imports their `index.ts` only. */
const PACKAGES = ['functions/core/snapshot-archive/', 'functions/core/snapshot-contents/'];

describe('the layout of functions/', () => {
  it('has no import circles (type-only imports included)', () => {
    // The checker itself: it reads the imports, and it finds a circle when there is one.
    expect([...GRAPH.values()].flat().length).toBeGreaterThan(300);
    expect(circles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);

    expect(circles(GRAPH)).toEqual([]);
  });

  it('keeps the core pure: no AWS SDK, no HTTP client, no environment, no handler or adapter imports', () => {
    const offenders = FUNCTIONS.filter((f) => f.startsWith('functions/core/')).flatMap((f) => {
      const text = readFileSync(join(ROOT, f), 'utf8');
      const problems = [
        /from '@aws-sdk\//.test(text) && 'imports the AWS SDK',
        /from 'undici'/.test(text) && 'imports undici',
        /\bprocess\.env\b/.test(text) && 'reads process.env',
        (GRAPH.get(f) ?? []).some((i) => !i.startsWith('functions/core/')) && 'imports outside functions/core',
      ].filter(Boolean);
      return problems.map((p) => `${f} ${p}`);
    });
    expect(offenders).toEqual([]);
  });

  it('imports a package only through its index.ts from outside it', () => {
    const sources = [...FUNCTIONS, ...sourceFiles('local'), ...sourceFiles('lib'), ...sourceFiles('bin')];
    const offenders = sources.flatMap((f) =>
      importsOf(f)
        .filter((i) => PACKAGES.some((p) => i.startsWith(p) && !f.startsWith(p) && i !== `${p}index.ts`))
        .map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has a test for every core file, its own or the one that covers it', () => {
    const core = FUNCTIONS.filter((f) => f.startsWith('functions/core/') && !f.endsWith('/ports.ts') && !f.endsWith('/index.ts'));
    const untested = core.filter((f) => {
      const own = `test/${f.replace(/\.ts$/, '')}`;
      if (existsSync(join(ROOT, `${own}.test.ts`)) || existsSync(join(ROOT, `${own}.int.test.ts`))) return false;
      const cover = COVERED_BY[f];
      return cover === undefined || !existsSync(join(ROOT, cover));
    });
    expect(untested).toEqual([]);
  });
});
