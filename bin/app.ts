/**
 * The consul-ops CDK app (`cdk synth`, `cdk deploy`). The deploy config comes from `-c config=<path>`, else
 * `$CONSUL_OPS_CONFIG`, else the embedded demo config. A bad config prints one line per problem and exits 1.
 */
import { ConsulOpsError } from '../functions/core/shared/errors';
import { DeployConfigError } from '../lib/config/deploy-config';
import { buildConsulOpsApp } from '../lib/consul-ops-app';

try {
  buildConsulOpsApp().app.synth();
} catch (err) {
  if (err instanceof DeployConfigError) {
    for (const problem of err.problems) console.error(`consul-ops config error: ${problem}`);
    process.exit(1);
  }
  if (err instanceof ConsulOpsError) {
    console.error(`consul-ops: ${err.message} ${err.remedy}`);
    process.exit(1);
  }
  throw err;
}
