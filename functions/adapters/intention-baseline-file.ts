import { parseIntentionBaseline, type IntentionBaseline } from '../core/intentions/baseline';
import { IntentionBaselineError } from '../core/intentions/errors';
import { readYamlFile, YamlFileProblem } from './yaml-file';

/**
 * Loads an intention baseline from a JSON or YAML file (YAML is a superset of JSON) and validates it. Used by the
 * CLI (`--baseline`) and at synth time by the CDK app (`clusters[].intentions.baselineFile`); never bundled into a
 * Lambda (the `yaml` parser stays out of the handler bundles).
 *
 * @example
 * const baseline = loadIntentionBaselineFile('config/intentions/prod-east.yaml');
 * @throws IntentionBaselineError when the file cannot be read, parsed or validated
 */
export function loadIntentionBaselineFile(path: string): IntentionBaseline {
  let raw: unknown;
  try {
    raw = readYamlFile(path, path, 'a JSON or YAML intention baseline');
  } catch (err) {
    if (err instanceof YamlFileProblem) throw new IntentionBaselineError(path, [err.message], { cause: err.cause });
    throw err;
  }
  return parseIntentionBaseline(raw, path);
}
