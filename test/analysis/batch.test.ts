/** What every judge source is reduced to: counts by answer class and nearest-rank quantiles (src/analysis/batch.ts). */
import { aggregate, answerClass, nearestRank, pairedCounts, quantileKey, type Answer } from '../../src/analysis/batch';
import { liveMinuteBatches } from '../../src/activities/live-minutes';

const ok = (latencyMs: number): Answer => ({ status: 200, latencyMs });
const answer = (status: Answer['status']): Answer => ({ status, latencyMs: 5 });

test('nearest rank is the ⌈q·n⌉-th smallest, with keys p50, p99, p99.9', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  expect([0.5, 0.9, 0.95, 0.99, 0.01].map((q) => nearestRank(sorted, q))).toEqual([5, 9, 10, 10, 1]);
  expect(nearestRank([], 0.5)).toBeNaN();
  expect([0.5, 0.99, 0.999].map(quantileKey)).toEqual(['p50', 'p99', 'p99.9']);
});

test('answers are classed: 429 apart from other 4xx; timeouts and network errors are 5xx', () => {
  expect(
    [200, 204, 400, 404, 429, 500, 503, 'timeout', 'network', 302].map((s) => answerClass(s as Answer['status'])),
  ).toEqual(['2xx', '2xx', '4xx', '4xx', '429', '5xx', '5xx', '5xx', '5xx', '5xx']);
});

test('a probe round counts every answer; quantiles are over the 2xx latencies', () => {
  const round = aggregate([ok(10), ok(30), ok(20), answer(400), answer(429), answer('timeout')], [0.5]);
  expect(round).toEqual({
    requests: 6,
    errors4xx: 1,
    errors5xx: 1,
    throttled: 1,
    quantilesMs: { p50: 20 },
    latencyCount: 3,
  });
});

test('paired replay: a failure counts only where the other version answered the same input', () => {
  const pairs = [
    { champion: ok(10), challenger: answer(400) }, // the new version refuses an input the current one answers
    { champion: answer(400), challenger: answer(400) }, // both refuse: says nothing
    { champion: ok(10), challenger: answer(429) }, // only the new version throttled: a 4xx failure
    { champion: answer(429), challenger: answer(429) }, // both throttled: reported apart
    { champion: answer(500), challenger: ok(12) }, // the current version fails alone
    { champion: ok(11), challenger: ok(13) },
  ];
  const { champion, challenger } = pairedCounts(pairs, [0.5]);
  expect(challenger).toMatchObject({ requests: 6, errors4xx: 2, errors5xx: 0, throttled: 1 });
  expect(champion).toMatchObject({ requests: 6, errors4xx: 0, errors5xx: 1, throttled: 1 });
  expect(challenger.quantilesMs).toEqual({ p50: 12 });
});

test('live minutes: a 429 counts as a 4xx failure only in a minute where the other version was not throttled', () => {
  const entity = (throttled: number) => ({
    requests: 100,
    errors4xx: 1,
    errors5xx: 0,
    throttled,
    quantilesMs: { p50: 40 },
    inferenceQuantilesMs: {},
  });
  const minutes = [
    {
      timestamp: 60_000,
      entities: new Map([
        ['new', entity(3)],
        ['current', entity(0)],
      ]),
    },
    {
      timestamp: 120_000,
      entities: new Map([
        ['new', entity(3)],
        ['current', entity(2)],
      ]),
    },
  ];
  const [alone, both] = liveMinuteBatches(minutes, 'current', 'new', 0.1);
  expect(alone.challenger).toMatchObject({ errors4xx: 4, throttled: 3, latencyCount: 96 });
  expect(both.challenger).toMatchObject({ errors4xx: 1, throttled: 3 });
  expect(both.champion).toMatchObject({ errors4xx: 1, throttled: 2 });
  expect(alone).toMatchObject({ source: 'live', endsAt: 60_000, challengerShare: 0.1 });
  // A version the minute does not list served nothing in it.
  expect(liveMinuteBatches([{ timestamp: 1, entities: new Map() }], 'current', 'new', 0.1)[0].challenger).toEqual({
    requests: 0,
    errors4xx: 0,
    errors5xx: 0,
    throttled: 0,
    quantilesMs: {},
    latencyCount: 0,
  });
});
