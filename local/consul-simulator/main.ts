/**
 * CLI: runs a Consul API simulator until interrupted.
 *
 * @example
 * tsx local/consul-simulator/main.ts --port 8500 --acl-default deny
 */
import { startConsulSimulator } from './consul-simulator';
import { ConsulSimulatorOptions } from './types';
import { CONSUL_PROFILE_VERSIONS, DEFAULT_CONSUL_VERSION, resolveConsulProfile } from './version-profiles';

const USAGE = `usage: tsx local/consul-simulator/main.ts [--port 8500] [--host 127.0.0.1] [--acl-default allow|deny]
       [--acls-disabled] [--dc dc1] [--primary-dc dc1] [--consul-version ${DEFAULT_CONSUL_VERSION}] [--client-agent]
       [--no-leader] [--management-secret <uuid>] [--snapshot-state-bytes <n>]
  --consul-version: behave as this Consul version (profiles: ${CONSUL_PROFILE_VERSIONS.join(', ')}; default the newest)`;

/** Parses argv into simulator options; throws with the usage text on bad input. */
export function parseArgs(argv: string[]): ConsulSimulatorOptions {
  const opts: { -readonly [K in keyof ConsulSimulatorOptions]: ConsulSimulatorOptions[K] } = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--port') opts.port = Number(value());
    else if (flag === '--host') opts.host = value();
    else if (flag === '--acl-default') {
      const v = value();
      if (v !== 'allow' && v !== 'deny') throw new Error(`--acl-default must be allow or deny, e.g. --acl-default deny\n${USAGE}`);
      opts.defaultPolicy = v;
    } else if (flag === '--acls-disabled') opts.aclsEnabled = false;
    else if (flag === '--dc') opts.datacenter = value();
    else if (flag === '--consul-version') {
      const v = value();
      try {
        resolveConsulProfile(v);
      } catch (err) {
        throw new Error(`--consul-version: ${(err as Error).message}\n${USAGE}`);
      }
      opts.consulVersion = v;
    } else if (flag === '--primary-dc') opts.primaryDatacenter = value();
    else if (flag === '--client-agent') opts.agentKind = 'client';
    else if (flag === '--no-leader') opts.leader = false;
    else if (flag === '--management-secret') opts.managementSecretId = value();
    else if (flag === '--snapshot-state-bytes') opts.snapshotStateBytes = Number(value());
    else if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    else throw new Error(`unknown flag ${flag}\n${USAGE}`);
  }
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
    throw new Error(`--port must be 0-65535, e.g. --port 8500\n${USAGE}`);
  }
  return opts;
}

async function main(): Promise<void> {
  const sim = await startConsulSimulator(parseArgs(process.argv.slice(2)));
  console.log(`Consul API simulator (Consul ${sim.profile.version}) listening on ${sim.url}`);
  console.log(`  CONSUL_HTTP_ADDR=${sim.url}`);
  if (sim.managementToken.secretId) {
    console.log(`  CONSUL_HTTP_TOKEN=${sim.managementToken.secretId}  (AccessorID ${sim.managementToken.accessorId})`);
  }
  const shutdown = (): void => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
