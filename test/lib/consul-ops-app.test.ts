import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import type { DeployConfigInput } from '../../lib/config/deploy-config';
import { buildConsulOpsApp } from '../../lib/consul-ops-app';
import { buildTestApp, CDK_JSON_CONTEXT, defaultConfig, extraCluster, secretArnOf, type Json } from './test-app';

/** Resources per stack, counted from the construct tree (what the template will hold), without synthesizing. */
function resourceCounts(stacks: readonly Stack[]): Map<string, number> {
  return new Map(stacks.map((s) => [s.stackName, s.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === s).length]));
}

/** A cluster with every job on: backups, a rotated token, the intention audit and the certificate check. */
function fullCluster(name: string, hex: string): DeployConfigInput['clusters'][number] {
  const cluster = extraCluster(name, hex);
  return { ...cluster, rotation: { tokens: [{ secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul/${name}/web-Ab12${hex}` }] }, certificates: { endpoints: [`ui.${name}.internal:443`] } };
}

describe('buildConsulOpsApp: stacks', () => {
  it('builds one shared stack and one stack per cluster, each deployed after the shared one', () => {
    // Prepare
    const config = defaultConfig();
    config.clusters.push(extraCluster('west', 'a1'));

    // Act
    const { shared, clusters } = buildTestApp(config);

    // Assess
    expect(shared.stackName).toBe('ConsulOps');
    expect([...clusters.values()].map((s) => s.stackName)).toEqual(['ConsulOps-cluster-demo', 'ConsulOps-cluster-west']);
    for (const stack of clusters.values()) expect(stack.dependencies).toEqual([shared]);
  });

  it('names stacks, SSM parameters, alarms and dashboards after deployment.stackNamePrefix, so two deployments can share an account', () => {
    // Prepare
    const config = defaultConfig();
    config.deployment = { stackNamePrefix: 'ConsulOps-staging' };

    // Act
    const app = buildTestApp(config);

    // Assess
    expect(app.shared.stackName).toBe('ConsulOps-staging');
    const template = app.clusterTemplate();
    expect(app.clusters.get('demo')!.stackName).toBe('ConsulOps-staging-cluster-demo');
    expect(template.toJSON().Parameters.BackupBucketArn.Default).toBe('/consul-ops/ConsulOps-staging/backup-bucket-arn');
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties.AlarmName as string);
    expect(names.every((n) => n.startsWith('ConsulOps-staging-demo-'))).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ConsulOps-staging-demo' });
    app.sharedTemplate.hasResourceProperties('AWS::SSM::Parameter', { Name: '/consul-ops/ConsulOps-staging/alarm-topic-arn' });
  });

  it('pins every stack to deployment.account and deployment.region when given, and is environment-agnostic otherwise', () => {
    // Prepare
    const config = defaultConfig();
    config.deployment = { account: '123456789012', region: 'eu-west-1' };

    // Act
    const pinned = buildTestApp(config);
    const agnostic = buildTestApp();

    // Assess
    for (const stack of [pinned.shared, ...pinned.clusters.values()]) expect([stack.account, stack.region]).toEqual(['123456789012', 'eu-west-1']);
    expect(Token.isUnresolved(agnostic.shared.account) && Token.isUnresolved(agnostic.shared.region)).toBe(true);
  });
});

describe('stable construct ids', () => {
  const threeClusters = () => {
    const config = defaultConfig();
    config.clusters.push(fullCluster('west', 'a1'), fullCluster('north', 'b2'));
    return config;
  };
  /**
   * The templates, with each function's code key replaced by its handler: with bundling skipped (as in these tests)
   * CDK fingerprints the placeholder asset of a handler by the first function that stages it. Bundled, every
   * cluster's function of a handler has the same content hash (synth.test.ts checks that).
   */
  const templates = (config: DeployConfigInput) => {
    const app = buildTestApp(config);
    const normalized = (template: Json) => {
      for (const r of Object.values(template.Resources) as Json[]) {
        if (r.Type === 'AWS::Lambda::Function') r.Properties.Code.S3Key = r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME;
      }
      return template;
    };
    return { shared: normalized(app.sharedTemplate.toJSON()), clusters: new Map([...app.clusters.keys()].map((name) => [name, normalized(app.clusterTemplate(name).toJSON())])) };
  };
  const changedResources = (a: Json, b: Json) => [...new Set([...Object.keys(a.Resources), ...Object.keys(b.Resources)])].filter((id) => JSON.stringify(a.Resources[id]) !== JSON.stringify(b.Resources[id]));

  it('removing a cluster changes no resource of any other cluster, and in the shared stack only the overview dashboard', () => {
    // Prepare
    const before = templates(threeClusters());
    const config = threeClusters();
    config.clusters = config.clusters.filter((c) => c.name !== 'west');

    // Act
    const after = templates(config);

    // Assess
    expect([...after.clusters.keys()]).toEqual(['demo', 'north']);
    for (const [name, template] of after.clusters) expect(template).toEqual(before.clusters.get(name));
    expect(changedResources(before.shared, after.shared)).toEqual([expect.stringMatching(/^MonitoringDashboard/)]);
  });

  it('adding a cluster changes no resource of any other cluster', () => {
    // Prepare
    const before = templates(threeClusters());
    const config = threeClusters();
    config.clusters.splice(1, 0, fullCluster('added', 'c3'));

    // Act
    const after = templates(config);

    // Assess
    for (const [name, template] of before.clusters) expect(after.clusters.get(name)).toEqual(template);
    expect(changedResources(before.shared, after.shared)).toEqual([expect.stringMatching(/^MonitoringDashboard/)]);
  });
});

describe('scale', () => {
  it('keeps every stack at or under 450 resources with 100 clusters that run every job', () => {
    // Prepare
    const config = defaultConfig();
    config.clusters[0].rotation = { tokens: [{ secretArn: secretArnOf('web') }] };
    for (let i = 1; i < 100; i++) config.clusters.push(fullCluster(`c${i}`, i.toString(16).padStart(2, '0')));
    config.notifications = { emails: ['ops@example.com'], slackWebhookSecretArn: secretArnOf('slack') };

    // Act
    const { shared, clusters } = buildConsulOpsApp({ env: {}, config, nag: false, appProps: { context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } } });
    const counts = resourceCounts([shared, ...clusters.values()]);

    // Assess
    expect(counts.size).toBe(101);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(450);
    // Every cluster stack is the same size: a cluster costs its own stack, not room in a shared one.
    expect(new Set([...clusters.values()].map((s) => counts.get(s.stackName))).size).toBe(1);
  });
});

describe('upgrade from the single ConsulOps stack of earlier versions', () => {
  it('keeps the logical ids of the key, bucket, topics, dashboard, Slack forwarder and rotation rule in the shared stack', () => {
    // Prepare
    const config = defaultConfig();
    config.notifications = { emails: ['ops@example.com'], slackWebhookSecretArn: secretArnOf('slack') };
    config.clusters[0].rotation = { rotateManagementToken: true };

    // Act
    const ids = Object.keys(buildTestApp(config).sharedTemplate.toJSON().Resources);

    // Assess: the ids the single stack had (a changed id would be a new resource: a new, empty bucket).
    expect(ids).toEqual(
      expect.arrayContaining(['Key961B73FD', 'BackupsBucket2936A3AA', 'ReportsTopic9651584A', 'MonitoringAlarmTopicAF62D4F1', 'MonitoringDashboard0C3675C6', 'MonitoringSlackForwarderFunctionBDDC9E87', 'RotationFailuresRule57ADBA3A']),
    );
  });
});
