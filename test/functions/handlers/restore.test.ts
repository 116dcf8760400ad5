import { parseRestoreEvent } from '../../../functions/handlers/restore';

describe('parseRestoreEvent', () => {
  it('is a dry run by default and passes the overrides through', () => {
    // Act
    const parsed = parseRestoreEvent({ cluster: 'demo', latest: true, allowCrossCluster: true, requestedBy: 'alice' }, 'demo');

    // Assess
    expect(parsed).toEqual({
      cluster: 'demo',
      selector: { latest: true },
      dryRun: true,
      confirm: undefined,
      allowCrossCluster: true,
      forceVersionMismatch: false,
      skipSafetySnapshot: false,
      requestedBy: 'alice',
    });
  });

  it('reads a restore-kv request (kvPrefix), a dry run unless confirmed', () => {
    // Act
    const parsed = parseRestoreEvent({ cluster: 'demo', before: '2026-11-21T23:00:00Z', kvPrefix: 'config/payments/', deleteExtra: true }, 'demo');

    // Assess
    expect(parsed).toMatchObject({ selector: { before: new Date('2026-11-21T23:00:00Z') }, kvPrefix: 'config/payments/', deleteExtra: true, dryRun: true, confirm: undefined });
  });

  it.each([
    { event: { cluster: 'demo', key: 'snapshots/demo/k.snap', versionId: 'v1' }, selector: { key: 'snapshots/demo/k.snap', versionId: 'v1' } },
    { event: { cluster: 'demo', before: '2026-11-21T23:00:00Z' }, selector: { before: new Date('2026-11-21T23:00:00Z') } },
  ])('reads the selector $selector', ({ event, selector }) => {
    expect(parseRestoreEvent(event, 'demo').selector).toEqual(selector);
  });

  it.each([
    { name: 'a non-object', event: 'restore', message: /event: expected a JSON object/ },
    { name: 'another cluster', event: { cluster: 'prod', latest: true }, message: /restores cluster "demo" only, got "prod"/ },
    { name: 'no cluster', event: { latest: true }, message: /event.cluster: .*got none/ },
    { name: 'a misspelt field', event: { cluster: 'demo', latest: true, dryrun: false }, message: /event.dryrun: unknown field/ },
    { name: 'a string boolean', event: { cluster: 'demo', latest: true, dryRun: 'false' }, message: /event.dryRun: expected true or false/ },
    { name: 'no selector', event: { cluster: 'demo' }, message: /exactly one of latest, key, before \(got none\)/ },
    { name: 'two selectors', event: { cluster: 'demo', latest: true, before: '2026-11-21T23:00:00Z' }, message: /got latest, before/ },
    { name: 'versionId without key', event: { cluster: 'demo', latest: true, versionId: 'v1' }, message: /event.versionId: needs key/ },
    { name: 'a bad time', event: { cluster: 'demo', before: 'yesterday' }, message: /"yesterday" is not an ISO 8601 time/ },
    { name: 'deleteExtra without kvPrefix', event: { cluster: 'demo', latest: true, deleteExtra: true }, message: /event.deleteExtra: needs kvPrefix/ },
    { name: 'a full-restore override with kvPrefix', event: { cluster: 'demo', latest: true, kvPrefix: 'config/', skipSafetySnapshot: true }, message: /event.skipSafetySnapshot: applies to a full restore only/ },
    { name: 'an empty kvPrefix', event: { cluster: 'demo', latest: true, kvPrefix: '' }, message: /event.kvPrefix: expected a non-empty string/ },
  ])('refuses $name', ({ event, message }) => {
    expect(() => parseRestoreEvent(event, 'demo')).toThrow(message);
  });
});
