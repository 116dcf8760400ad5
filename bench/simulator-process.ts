/**
 * The Consul API simulator in its own process for the benchmark. Its CLI (`local/consul-simulator/main.ts`) has no
 * `--gzip-level`, and in the client's process the simulator's gzip and the client's inflate would share one event
 * loop. Usage: `node simulator-process.js '<ConsulSimulatorOptions JSON>'`; prints `SIMULATOR {"url","token"}` on
 * stdout once listening; stops on SIGTERM/SIGINT or when stdin closes (the driver died).
 */
import { startConsulSimulator, type ConsulSimulatorOptions } from '../local/consul-simulator';
import { SIMULATOR_TAG } from './jobs';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as ConsulSimulatorOptions;
  const sim = await startConsulSimulator(options);
  process.stdout.write(`${SIMULATOR_TAG}${JSON.stringify({ url: sim.url, token: sim.managementToken.secretId })}\n`);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(2);
});
