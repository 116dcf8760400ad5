import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { benchMixes, buildStateBin, measure } from './bench/state-decoder';
const m = Number(process.env.MIX ?? 1);
const file = `/tmp/state-${m}.bin`;
if (!existsSync(file)) { writeFileSync(file, buildStateBin(benchMixes()[m], 32 * 1024 * 1024)); process.exit(0); }
const state = readFileSync(file);
console.log(JSON.stringify(measure('m', state, 'x', JSON.parse(process.env.OPTS ?? '{"summary":true}'), 8)));
