import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseIntentionBaseline, type IntentionBaseline } from '../core/intentions/baseline';
import { IntentionBaselineError } from '../core/intentions/errors';

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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read the file';
    throw new IntentionBaselineError(path, [`${path}: ${reason}; expected a JSON or YAML intention baseline`], { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `:${err.linePos[0].line}:${err.linePos[0].col}` : '';
    const why = (err instanceof Error ? err.message : String(err)).split(' at line')[0].split('\n')[0];
    throw new IntentionBaselineError(path, [`${path}${where}: invalid JSON/YAML: ${why}`], { cause: err });
  }
  return parseIntentionBaseline(raw, path);
}
