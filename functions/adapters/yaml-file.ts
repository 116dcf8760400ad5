import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';

/** Why a YAML/JSON file could not be used: one line naming the file (and `:line:col` for a syntax error). */
export class YamlFileProblem extends Error {}

/**
 * Reads and parses a YAML or JSON file (YAML is a superset of JSON). Used at synth time and by the CLI, never in a
 * Lambda bundle (the `yaml` parser stays out of them). The caller turns a {@link YamlFileProblem} into its own error.
 *
 * @param label the file as the user named it, for messages
 * @param expected what the file should be, e.g. `a JSON or YAML intention baseline`
 * @example
 * const raw = readYamlFile(path.resolve(file), file, 'a YAML or JSON deploy config, e.g. config/prod.yaml');
 * @throws YamlFileProblem when the file is missing, unreadable or not YAML/JSON
 */
export function readYamlFile(file: string, label: string, expected: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read the file';
    throw new YamlFileProblem(`${label}: ${reason}; expected ${expected}`, { cause: err });
  }
  try {
    return parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `:${err.linePos[0].line}:${err.linePos[0].col}` : '';
    const why = (err instanceof Error ? err.message : String(err)).split(' at line')[0].split('\n')[0];
    throw new YamlFileProblem(`${label}${where}: invalid YAML/JSON: ${why}`, { cause: err });
  }
}
