import { DEFAULT_CERT_THRESHOLDS, resolveCertThresholds, severityForDaysLeft, severityForLifetimeUsed } from '../../../../functions/core/certs/thresholds';

describe('severityForDaysLeft', () => {
  it.each([
    [40, 'info'],
    [28, 'info'],
    [27.9, 'medium'],
    [14, 'medium'],
    [13.99, 'critical'],
    [0, 'critical'],
    [-3, 'critical'],
  ])('%d days left on an endpoint → %s', (days, expected) => {
    expect(severityForDaysLeft(days, DEFAULT_CERT_THRESHOLDS.endpoint)).toBe(expected);
  });
});

describe('severityForLifetimeUsed', () => {
  it.each([
    [60, { warning: 90, critical: 90 }, 'info'],
    [90, { warning: 90, critical: 90 }, 'info'],
    [90.1, { warning: 90, critical: 90 }, 'critical'],
    [80, { warning: 75, critical: 90 }, 'medium'],
    [100, { warning: 100, critical: 100 }, 'critical'],
  ])('%d %% used with %j → %s', (used, t, expected) => {
    expect(severityForLifetimeUsed(used, t)).toBe(expected);
  });
});

describe('resolveCertThresholds', () => {
  it('merges an override onto the defaults', () => {
    expect(resolveCertThresholds({ endpoint: { warning: 45 } })).toEqual({ ...DEFAULT_CERT_THRESHOLDS, endpoint: { warning: 45, critical: 14 } });
  });

  it.each([
    [{ endpoint: { warning: 10, critical: 14 } }, /thresholds\.endpoint: expected days left with warning >= critical >= 0/],
    [{ caRoot: { critical: -1 } }, /thresholds\.caRoot/],
    [{ leaf: { warning: 95, critical: 90 } }, /thresholds\.leaf: expected percent of lifetime used with 0 < warning <= critical <= 100/],
    [{ leaf: { critical: 120 } }, /thresholds\.leaf/],
  ])('refuses %j', (input, message) => {
    expect(() => resolveCertThresholds(input)).toThrow(message);
  });
});
