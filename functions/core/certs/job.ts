import { runJob, type JobOutcome } from '../report/job';
import { withPermissionHelp } from '../shared/acl-policies';
import { buildCertificateReport } from './cert-report';
import { runCertificateCheck, type CertCheckDeps, type CertCheckInput, type CertCheckResult } from './workflow';

/**
 * The certificate check job, the same through both front doors (the scheduled check-certs Lambda and
 * `consul-ops check-certs`): {@link runCertificateCheck} and its report. Findings are results, not failures; only a
 * run that could not read the CA roots or the catalog fails.
 *
 * @example
 * const outcome = await runCertificateCheckJob({ consul, probe, now }, 'prod-east', { endpointCaPems });
 */
export function runCertificateCheckJob(deps: CertCheckDeps, cluster: string, input: CertCheckInput): Promise<JobOutcome<CertCheckResult>> {
  return runJob(
    () => withPermissionHelp('check-certs', () => runCertificateCheck(deps, input), { auditorService: input.auditorService }),
    (run) => buildCertificateReport({ cluster, ...run, finishedAt: deps.now() }),
  );
}
