import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Properties of {@link createNotifyingAlarm}. */
export interface NotifyingAlarmProps {
  /** The alarm's name: `<prefix>-…`, which the alarm topic's policy admits. */
  readonly alarmName: string;
  /** What it means and what to do. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  /** Where alarm and OK notifications go. */
  readonly topic: sns.ITopic;
  /**
   * Threshold, comparison, periods or missing-data treatment other than the default.
   * @default - fires at >= 1 in one period; missing data is not breaching
   */
  readonly overrides?: Partial<cloudwatch.CreateAlarmOptions>;
}

/** An alarm of consul-ops (construct id `Alarm-<suffix>`) that notifies `topic` on ALARM and on OK. */
export function createNotifyingAlarm(scope: Construct, suffix: string, props: NotifyingAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, `Alarm-${suffix}`, {
    alarmName: props.alarmName,
    alarmDescription: props.description,
    metric: props.metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...props.overrides,
  });
  alarm.addAlarmAction(new actions.SnsAction(props.topic));
  alarm.addOkAction(new actions.SnsAction(props.topic));
  return alarm;
}
