/** The canary settings of rollouts started before the sequential judge, completed for it (src/plan/canary.ts). */
import { canarySettings } from '../../src/plan/canary';

test('the previous shape keeps probes and its absolute error floor, with no relative floor', () => {
  const previous = {
    probe_rps: 200,
    min_requests: 200,
    max_requests: 600,
    alpha: 0.05,
    error_rate_floor: 0.01,
    latency_floor: 0.1,
    max_extension: 10_000,
  };
  expect(canarySettings(previous)).toEqual({
    sources: ['probes'],
    probe_rps: 200,
    alpha: 0.05,
    beta: 0.05,
    error_floor: { relative: 1, absolute: 0.01 },
    latency_floor: 0.1,
    quantiles: [0.5, 0.99],
    max_extension: 10_000,
    on_deadline: 'fail',
  });
});

test('the current shape passes through as parsed', () => {
  const settings = { sources: ['live'], error_floor: { relative: 3, absolute: 0.01 }, quantiles: [0.9] };
  expect(canarySettings(settings)).toMatchObject(settings);
  expect(() => canarySettings({ sources: [] })).toThrow('name at least one source: live, probes or paired');
});
