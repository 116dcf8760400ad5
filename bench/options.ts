/** Command-line options of `npm run bench`. */

/** What to run. */
export interface BenchOptions {
  /** state.bin sizes of the backup runs, MiB. The restore uses the largest. */
  readonly sizesMiB: readonly number[];
  /** Measured runs per configuration. */
  readonly runs: number;
  /** Fresh-process loads per handler bundle. */
  readonly loadRuns: number;
  readonly quick: boolean;
  /** Skip the transfer benchmarks (bundles only). */
  readonly bundlesOnly: boolean;
  /** Write a V8 CPU profile of every measured run to `bench/results/profiles/`. */
  readonly profile: boolean;
  /** Only `cdk synth` at 1, 10 and 100 clusters (no bundles, components or transfers). */
  readonly synthOnly: boolean;
}

/** Usage text. */
export const USAGE = `usage: npm run bench [-- --quick] [-- --sizes 256,1024] [-- --runs 2] [-- --bundles-only]
  --quick          64 MiB only, 1 run of each configuration, 1 load per bundle (smoke check)
  --sizes a,b      state.bin sizes in MiB (default 1024)
  --runs n         measured runs per configuration (default 3; medians and ranges are reported)
  --bundles-only   only bundle sizes and module-load times (no radosgw, no simulator)
  --profile        write a CPU profile (.cpuprofile) of every measured run to bench/results/profiles/
Each size is benchmarked with a realistic (compressible, gzip level 6) and an incompressible archive; the peers,
the backup without the decoder, the one-core runs and the restores use the largest size.
  --synth-only     only cdk synth of 1, 10 and 100 clusters (time, largest stack's resource count)`;

/** Parses argv (after the script name); throws with {@link USAGE} on bad input. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let bundlesOnly = false;
  let profile = false;
  let synthOnly = false;
  let sizes: number[] | undefined;
  let runs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--quick') quick = true;
    else if (flag === '--bundles-only') bundlesOnly = true;
    else if (flag === '--profile') profile = true;
    else if (flag === '--synth-only') synthOnly = true;
    else if (flag === '--sizes') {
      sizes = value().split(',').map((s) => Number(s.trim()));
      if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`--sizes takes MiB as positive integers, e.g. --sizes 256,1024\n${USAGE}`);
    } else if (flag === '--runs') {
      runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a positive integer, e.g. --runs 3\n${USAGE}`);
    } else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  return {
    sizesMiB: sizes ?? (quick ? [64] : [1024]),
    runs: runs ?? (quick ? 1 : 3),
    loadRuns: quick ? 1 : 5,
    quick,
    bundlesOnly,
    profile,
    synthOnly,
  };
}
