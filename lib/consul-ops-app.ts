import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_DEPLOY_CONFIG } from './config/default-config';
import { loadDeployConfig, type DeployConfig, type DeployConfigInput } from './config/deploy-config';
import { ConsulOpsStack } from './consul-ops-stack';

/** Context key and environment variable that name the deploy config file. */
export const CONFIG_CONTEXT_KEY = 'config';
/** Environment variable naming the deploy config file (the `-c config=<path>` context wins). */
export const CONFIG_ENV_VAR = 'CONSUL_OPS_CONFIG';
/** Name of the one stack. */
export const STACK_NAME = 'ConsulOps';

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
}

/** What {@link buildConsulOpsApp} built. */
export interface ConsulOpsApp {
  /** The app, with cdk-nag AwsSolutions registered. */
  readonly app: App;
  /** The stack. */
  readonly stack: ConsulOpsStack;
  /** The validated config. */
  readonly config: DeployConfig;
}

/**
 * Builds the consul-ops CDK app: loads and validates the deploy config, adds {@link ConsulOpsStack}, turns on the
 * CloudFormation validator (errors fail synth) and registers the cdk-nag AwsSolutions checks. Call `app.synth()`.
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
  const stack = new ConsulOpsStack(app, STACK_NAME, { config });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}
