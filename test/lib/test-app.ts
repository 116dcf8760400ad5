import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_DEPLOY_CONFIG } from '../../lib/config/default-config';
import type { DeployConfigInput } from '../../lib/config/deploy-config';
import { buildConsulOpsApp, type ConsulOpsApp } from '../../lib/consul-ops-app';

/** The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A deep copy of the embedded default config, to modify per test. */
export function defaultConfig(): DeployConfigInput {
  return structuredClone(DEFAULT_DEPLOY_CONFIG);
}

/** A secret ARN of the default config's account and Region. */
export const secretArnOf = (name: string): string => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/demo/${name}-AbCdEf`;
/** The default cluster's management token and CA bundle secrets. */
export const TOKEN_ARN = secretArnOf('management-token');
export const CA_ARN = secretArnOf('ca-bundle');

/**
 * Another valid cluster entry with its own secrets, subnet and security group.
 *
 * @param hex two hex digits that make its ids unique, e.g. `a1`
 */
export function extraCluster(name: string, hex: string, vpcId = 'vpc-0123456789abcdef0'): DeployConfigInput['clusters'][number] {
  return {
    name,
    consul: {
      addresses: [`https://consul.${name}.internal:8501`],
      managementTokenSecretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/${name}/token-Ab12${hex}`,
    },
    network: {
      vpcId,
      subnetIds: [`subnet-0123456789abcde${hex}`],
      availabilityZones: ['eu-west-1c'],
      routeTableIds: [`rtb-0123456789abcde${hex}`],
      securityGroupId: `sg-0123456789abcde${hex}`,
    },
  };
}

/** What {@link buildTestApp} built, with a template getter per stack. */
export interface TestApp extends ConsulOpsApp {
  /** The shared stack's template. */
  readonly sharedTemplate: Template;
  /** A cluster stack's template. */
  clusterTemplate(name?: string): Template;
}

/**
 * Builds the consul-ops app from a config, without cdk-nag, the CloudFormation validator and bundling, which make
 * template tests slow (all three are covered by synth.test.ts).
 */
export function buildTestApp(config: DeployConfigInput = defaultConfig()): TestApp {
  const built = buildConsulOpsApp({ env: {}, config, nag: false, appProps: { builtinCloudFormationValidation: false, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });
  const templates = new Map<string, Template>();
  return {
    ...built,
    sharedTemplate: Template.fromStack(built.shared),
    clusterTemplate(name = 'demo') {
      const stack = built.clusters.get(name);
      if (!stack) throw new Error(`no cluster ${name}`);
      if (!templates.has(name)) templates.set(name, Template.fromStack(stack));
      return templates.get(name)!;
    },
  };
}

/** The statements of the IAM::Policy attached to the role whose logical id starts with `rolePrefix`. */
export function policyStatements(template: Template, rolePrefix: string): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  const own = policies.filter((p) => p.Properties.Roles.some((r: Json) => String(r.Ref).startsWith(rolePrefix)));
  if (own.length === 0) throw new Error(`no policy for ${rolePrefix}`);
  return own.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** Every IAM statement of the template (role inline policies and IAM::Policy resources). */
export function allIdentityStatements(template: Template): Json[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Json[];
  const roles = Object.values(template.findResources('AWS::IAM::Role')) as Json[];
  return [
    ...policies.flatMap((p) => p.Properties.PolicyDocument.Statement),
    ...roles.flatMap((r) => (r.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement)),
  ];
}

/** The one Lambda function of a template whose description matches `pattern`. */
export function functionBy(template: Template, pattern: RegExp): Json {
  const matches = (Object.values(template.findResources('AWS::Lambda::Function')) as Json[]).filter((f) => pattern.test(f.Properties.Description));
  if (matches.length !== 1) throw new Error(`expected one function matching ${pattern}, found ${matches.length}`);
  return matches[0];
}

/** `{ "Fn::Join": ["", [{ Ref: "BackupBucketArn" }, "/<key>"]] }`: an object ARN of the shared bucket in a cluster stack. */
export const bucketObjects = (key: string): Json => ({ 'Fn::Join': ['', [{ Ref: 'BackupBucketArn' }, `/${key}`]] });
/** `kms:ViaService` for `<service>.<region>.amazonaws.com`. */
export const viaService = (service: string): Json => ({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });

/** One graphed metric of a dashboard: its name and dimensions (`[namespace, name, dim, value, …, options?]`). */
export interface GraphedMetric {
  readonly widget: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly expression?: string;
}

/** A dashboard body parsed (tokens such as the region become `TOKEN`), as widgets, titles and graphed metrics. */
export function dashboardOf(dashboard: Json): { widgets: Json[]; titles: string[]; metrics: GraphedMetric[] } {
  const body = dashboard.Properties.DashboardBody;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: Json) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const widgets = JSON.parse(text).widgets as Json[];
  const metrics = widgets.flatMap((w) =>
    ((w.properties.metrics ?? []) as Json[][]).flatMap((row) => {
      const options = typeof row[row.length - 1] === 'object' ? row[row.length - 1] : {};
      const fields = row.filter((f) => typeof f === 'string');
      if (fields.length < 2) return options.expression ? [{ widget: w.properties.title, namespace: '', name: '', dimensions: {}, expression: options.expression }] : [];
      const dimensions: Record<string, string> = {};
      for (let i = 2; i + 1 < fields.length; i += 2) dimensions[fields[i]] = fields[i + 1];
      return [{ widget: w.properties.title, namespace: fields[0], name: fields[1], dimensions }];
    }),
  );
  return { widgets, titles: widgets.map((w) => w.properties.title).filter(Boolean), metrics };
}
