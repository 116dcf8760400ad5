import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { baselineDigest, serializeBaseline, type IntentionBaseline } from '../../functions/core/intentions/baseline';
import { INTENTION_BASELINE_LAYER_PATH } from '../../functions/handlers/lambda-env';

/** Properties of {@link IntentionBaselineLayer}. */
export interface IntentionBaselineLayerProps {
  /** The validated baseline (see `clusters[].intentions.baselineFile`). */
  readonly baseline: IntentionBaseline;
  /** The cluster it belongs to (for the description). */
  readonly clusterName: string;
}

/**
 * A cluster's intention baseline as a small Lambda layer: its canonical JSON at {@link INTENTION_BASELINE_LAYER_PATH}.
 * The audit-intentions bundle stays the same for every cluster (built once); only this layer differs. The function
 * gets the file's sha256 as `INTENTION_BASELINE_SHA256` and refuses a file that does not match, so a swapped layer is
 * caught; a changed baseline is a `cdk deploy` (a new layer version), which leaves a trail in CloudFormation.
 */
export class IntentionBaselineLayer extends Construct {
  /** The layer. */
  readonly layer: lambda.LayerVersion;
  /** sha256 (hex) of the shipped file. */
  readonly sha256: string;

  constructor(scope: Construct, id: string, props: IntentionBaselineLayerProps) {
    super(scope, id);
    this.sha256 = baselineDigest(props.baseline);
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `consul-ops: intention baseline of cluster ${props.clusterName} (sha256 ${this.sha256})`,
      code: lambda.Code.fromAsset(writeBaselineDirectory(props.baseline, this.sha256)),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64],
    });
  }
}

/**
 * The layer's content in a directory named after its digest (same baseline, same directory and asset hash):
 * `consul-ops/intention-baseline.json` relative to `/opt`.
 */
function writeBaselineDirectory(baseline: IntentionBaseline, sha256: string): string {
  const root = path.join(tmpdir(), `consul-ops-intention-baseline-${sha256}`);
  const file = path.join(root, path.relative('/opt', INTENTION_BASELINE_LAYER_PATH));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, serializeBaseline(baseline));
  return root;
}
