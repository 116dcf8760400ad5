/**
 * Synth at scale: `cdk synth` of a deploy config with 1, 10 and 100 clusters, each running every job (backups, a
 * rotated token, the intention audit with its own baseline, the certificate check with an endpoint). Each size runs
 * the real CLI in a fresh process, offline, exactly as a user would (`CDK_DISABLE_VERSION_CHECK=1 npx cdk synth -q
 * --no-notices`): bundling with esbuild, cdk-nag AwsSolutions and the CloudFormation validator included. Reported:
 * wall time, and the largest stack's resource count against CloudFormation's 500 (our target: 450).
 *
 * @example
 * npm run bench -- --synth-only
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEPLOY_CONFIG } from '../lib/config/default-config';
import type { DeployConfigInput } from '../lib/config/deploy-config';
import { ROOT } from './build';
import type { ComponentResult } from './report';

/** Cluster counts measured. */
export const SYNTH_CLUSTER_COUNTS = [1, 10, 100] as const;
/** Targets: 100 clusters synthesize in under 2 minutes, and no stack holds more than 450 resources. */
export const SYNTH_TARGETS = { seconds100: 120, maxResources: 450 } as const;

/** One measured synth. */
export interface SynthResult {
  readonly clusters: number;
  readonly wallMs: number;
  readonly stacks: number;
  readonly largestStack: string;
  readonly largestStackResources: number;
  /** Distinct asset directories: one bundle per handler, plus the clusters' baseline layers. */
  readonly assets: number;
}

/** The exact command each measurement runs (with `CONSUL_OPS_CONFIG` set to the generated config). */
export const SYNTH_COMMAND = 'CDK_DISABLE_VERSION_CHECK=1 npx --no-install cdk synth -q --no-notices -o <dir>';

/** A config of `count` clusters, every job on; each cluster's baseline file is written into `dir`. */
export function scaleConfig(count: number, dir: string): DeployConfigInput {
  const base = DEFAULT_DEPLOY_CONFIG.clusters[0];
  const clusters = Array.from({ length: count }, (_, i) => {
    const name = `c${String(i).padStart(3, '0')}`;
    const baselineFile = join(dir, `${name}.yaml`);
    writeFileSync(baselineFile, `intentions:\n  - { source: web, destination: ${name}-api }\n  - { source: "*", destination: ${name}-db, action: deny }\n`);
    return {
      ...structuredClone(base),
      name,
      rotation: { tokens: [{ secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/${name}/web-AbCdEf` }] },
      intentions: { baselineFile },
      certificates: { endpoints: [`ui.${name}.internal:443`] },
    };
  });
  return { ...structuredClone(DEFAULT_DEPLOY_CONFIG), clusters, notifications: { emails: ['ops@example.com'] } };
}

/** Runs `cdk synth` for one config in a fresh process and measures it. */
async function synthOnce(count: number, workDir: string): Promise<SynthResult> {
  const dir = join(workDir, `clusters-${count}`);
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(scaleConfig(count, dir)));
  const outdir = join(dir, 'cdk.out');
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/cdk'), ['synth', '-q', '--no-notices', '-o', outdir], {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CONSUL_OPS_CONFIG: configFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cdk synth of ${count} clusters exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))));
  });
  const wallMs = Date.now() - started;
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const sizes = stacks.map(([name, a]) => ({ name, resources: Object.keys(JSON.parse(readFileSync(join(outdir, a.properties!.templateFile!), 'utf8')).Resources).length }));
  const largest = sizes.reduce((a, b) => (b.resources > a.resources ? b : a));
  const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.')).length;
  return { clusters: count, wallMs, stacks: stacks.length, largestStack: largest.name, largestStackResources: largest.resources, assets };
}

/**
 * Measures synth at 1, 10 and 100 clusters, in that order (the first run also warms the file cache, as a user's
 * second synth would). Each size is one component row with its own target.
 */
export async function benchSynth(workDir: string, log: (line: string) => void): Promise<ComponentResult[]> {
  const results: ComponentResult[] = [];
  for (const count of SYNTH_CLUSTER_COUNTS) {
    try {
      const r = await synthOnce(count, workDir);
      const seconds = r.wallMs / 1000;
      const text = `${count} clusters: ${seconds.toFixed(1)} s, ${r.stacks} stacks, largest ${r.largestStack} ${r.largestStackResources} resources, ${r.assets} assets`;
      log(`synth ${text}`);
      const withinSize = r.largestStackResources <= SYNTH_TARGETS.maxResources;
      results.push({
        name: `synth-${count}`,
        measured: text,
        detail: { ...r, command: SYNTH_COMMAND },
        target:
          count === 100
            ? { text: `100 clusters synthesize in < ${SYNTH_TARGETS.seconds100} s, every stack <= ${SYNTH_TARGETS.maxResources} resources`, pass: seconds < SYNTH_TARGETS.seconds100 && withinSize }
            : { text: `every stack <= ${SYNTH_TARGETS.maxResources} resources`, pass: withinSize },
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.push({ name: `synth-${count}`, measured: `error: ${message.split('\n')[0]}`, error: message });
    }
  }
  return results;
}
