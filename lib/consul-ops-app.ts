import { App, Validations, type AppProps, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_DEPLOY_CONFIG } from './config/default-config';
import { loadDeployConfig, type DeployConfig, type DeployConfigInput } from './config/deploy-config';
import { ClusterStack } from './stacks/cluster-stack';
import { SharedStack } from './stacks/shared-stack';

/** Context key that names the deploy config file. */
export const CONFIG_CONTEXT_KEY = 'config';
/** Environment variable naming the deploy config file (the `-c config=<path>` context wins). */
export const CONFIG_ENV_VAR = 'CONSUL_OPS_CONFIG';

/** The name of a cluster's stack, e.g. `ConsulOps-cluster-prod-east`. */
export function clusterStackName(stackNamePrefix: string, clusterName: string): string {
  return `${stackNamePrefix}-cluster-${clusterName}`;
}

/** Options of {@link buildConsulOpsApp}. */
export interface BuildConsulOpsAppOptions {
  /**
   * Props of the `App` (e.g. `outdir`, `context` in tests). `validateAgainstDefaultRules` is forced on.
   * @default {}
   */
  readonly appProps?: AppProps;
  /**
   * A config object or file path, taking precedence over context and environment.
   * @default - `-c config=<path>`, else `$CONSUL_OPS_CONFIG`, else {@link DEFAULT_DEPLOY_CONFIG}
   */
  readonly config?: string | DeployConfigInput;
  /**
   * The environment to read `CONSUL_OPS_CONFIG` from.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Whether to register the cdk-nag AwsSolutions checks (`cdk synth` always does; tests of templates may not).
   * @default true
   */
  readonly nag?: boolean;
}

/** What {@link buildConsulOpsApp} built. */
export interface ConsulOpsApp {
  /** The app, with cdk-nag AwsSolutions registered. */
  readonly app: App;
  /** The shared stack (`<prefix>`). */
  readonly shared: SharedStack;
  /** One stack per cluster (`<prefix>-cluster-<name>`), by cluster name. */
  readonly clusters: ReadonlyMap<string, ClusterStack>;
  /** The validated config. */
  readonly config: DeployConfig;
}

/**
 * Builds the consul-ops CDK app: loads and validates the deploy config, adds the {@link SharedStack} and one
 * {@link ClusterStack} per cluster (each deployed after the shared one), turns on the CloudFormation validator
 * (errors fail synth) and registers the cdk-nag AwsSolutions checks. Call `app.synth()`.
 *
 * @example
 * const { app } = buildConsulOpsApp();
 * app.synth();
 * @throws DeployConfigError when the config is invalid
 */
export function buildConsulOpsApp(options: BuildConsulOpsAppOptions = {}): ConsulOpsApp {
  const app = new App({
    ...options.appProps,
    postCliContext: { ...options.appProps?.postCliContext, '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
  const contextPath: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
  const source = options.config ?? (typeof contextPath === 'string' ? contextPath : undefined) ?? (options.env ?? process.env)[CONFIG_ENV_VAR] ?? DEFAULT_DEPLOY_CONFIG;
  const config = loadDeployConfig(source);
  const prefix = config.deployment.stackNamePrefix;
  const env: Environment | undefined = config.deployment.account || config.deployment.region ? { account: config.deployment.account, region: config.deployment.region } : undefined;
  const shared = new SharedStack(app, prefix, { config, env });
  const clusters = new Map<string, ClusterStack>();
  for (const cluster of config.clusters) {
    const stack = new ClusterStack(app, clusterStackName(prefix, cluster.name), {
      env,
      stackNamePrefix: prefix,
      cluster,
      restorePrincipalArns: config.restore.allowedPrincipalArns,
    });
    // Deploy order only: the cluster stack reads the shared stack's SSM parameters at deploy time.
    stack.addStackDependency(shared, 'reads the shared bucket, key and topics from its SSM parameters');
    clusters.set(cluster.name, stack);
  }
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, shared, clusters, config };
}
