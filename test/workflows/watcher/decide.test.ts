/** The watcher's pure decision: which version starts, given what it saw, the quiet period, the interval, hold, pause. */
import { watchSchema, type WatchSettings } from '../../../src/plan/schema';
import type { Observation, ObservedVersion, WatcherState } from '../../../src/shared/watch';
import { decide, ineligibility, initialWatcherState, record } from '../../../src/workflows/watcher/decide';
import { nextDelayMs } from '../../../src/workflows/watcher/poll';

const ready = (version: number, tags: Record<string, string> = {}): ObservedVersion => ({
  version,
  status: 'READY',
  tags,
});
const seen = (...versions: ObservedVersion[]): Observation => ({
  versions,
  newest: Math.max(0, ...versions.map((v) => v.version)),
});
const settings = (watch: Record<string, unknown> = {}): WatchSettings => watchSchema.parse(watch);

/** A watcher that has taken its baseline (v`baseline` and older existed) at t=0. */
function watching(baseline = 3, s = settings()): WatcherState {
  const state = initialWatcherState();
  expect(decide(state, seen(ready(baseline)), s, 0)).toEqual({});
  return state;
}

function started(state: WatcherState, version: number, atMs: number): void {
  state.started.push({ version, rolloutId: `r-v${version}`, at: new Date(atMs).toISOString(), started: true });
  state.highestStarted = version;
  state.lastStartMs = atMs;
}

test('the first poll takes a baseline: versions that exist already are not new', () => {
  const state = initialWatcherState();
  expect(decide(state, seen(ready(1), ready(2), ready(3)), settings(), 0)).toEqual({});
  expect(state.baseline).toBe(3);
  expect(state.events.at(-1)).toMatchObject({ what: 'baseline', why: expect.stringContaining('v3') });
});

test('a new READY version starts at once without a quiet period; older ones are passed over', () => {
  const state = watching();
  expect(decide(state, seen(ready(4)), settings(), 1000)).toEqual({ start: 4 });
});

test('a version still registering is not started', () => {
  const state = watching();
  expect(decide(state, seen({ version: 4, status: 'PENDING_REGISTRATION' }), settings(), 1000)).toEqual({});
  expect(state.events.at(-1)).toMatchObject({ version: 4, what: 'skipped' });
});

test('a burst within the quiet period rolls out only the newest', () => {
  const s = settings({ quiet_period: '2m' });
  const state = watching(3, s);
  expect(decide(state, seen(ready(4)), s, 10_000)).toEqual({ wakeAtMs: 130_000 });
  expect(decide(state, seen(ready(5), ready(4)), s, 40_000)).toEqual({ wakeAtMs: 160_000 });
  expect(decide(state, seen(ready(6), ready(5), ready(4)), s, 70_000)).toEqual({ wakeAtMs: 190_000 });
  // Nothing new: the quiet period runs from the last change.
  expect(decide(state, seen(ready(6), ready(5), ready(4)), s, 150_000)).toEqual({ wakeAtMs: 190_000 });
  expect(decide(state, seen(ready(6), ready(5), ready(4)), s, 190_000)).toEqual({ start: 6 });
  expect(state.events.filter((e) => e.what === 'skipped').map((e) => [e.version, e.why])).toEqual(
    expect.arrayContaining([
      [5, 'superseded by v6'],
      [4, 'superseded by v5'],
    ]),
  );
});

test('the minimum time between rollouts delays the next start', () => {
  const s = settings({ min_time_between_rollouts: '10m' });
  const state = watching(3, s);
  started(state, 4, 60_000);
  expect(decide(state, seen(ready(5)), s, 120_000)).toEqual({ wakeAtMs: 660_000 });
  expect(state.events.at(-1)?.why).toMatch(/minimum time between rollouts/);
  expect(decide(state, seen(ready(5)), s, 660_000)).toEqual({ start: 5 });
});

test('a started version and older ones are never candidates again', () => {
  const state = watching();
  started(state, 5, 0);
  expect(decide(state, seen(ready(5), ready(4)), settings(), 1000)).toEqual({});
});

test('a paused watcher starts nothing; resumed, it starts the newest', () => {
  const state = watching();
  state.paused = { by: 'ana', reason: 'incident', at: '' };
  expect(decide(state, seen(ready(4)), settings(), 1000)).toEqual({});
  expect(state.events.at(-1)).toMatchObject({ version: 4, what: 'paused', why: expect.stringContaining('ana') });
  state.paused = undefined;
  expect(decide(state, seen(ready(4)), settings(), 2000)).toEqual({ start: 4 });
});

test('a hold starts nothing newer than the held version, and says who held it and why', () => {
  const state = watching();
  state.hold = { version: 4, by: 'ana', reason: 'freeze', at: '' };
  expect(decide(state, seen(ready(5)), settings(), 1000)).toEqual({});
  expect(state.events.at(-1)).toMatchObject({
    version: 5,
    what: 'held',
    why: expect.stringMatching(/v4.*ana.*freeze/),
  });
  // A pin: the newest version at or below the hold still rolls out; the newer one stays held.
  expect(decide(state, seen(ready(5), ready(4)), settings(), 1000)).toEqual({ start: 4 });
  expect(state.events.filter((e) => e.version === 5).map((e) => e.what)).toEqual(['held']);
});

test('versions tagged rolled back, or missing the plan tags, are skipped with the reason', () => {
  const s = settings({ tags: { stage: 'prod' } });
  const state = watching(3, s);
  const decision = decide(
    state,
    seen(
      ready(6, { stage: 'prod', model_rollout_rolled_back: 'canary failed' }),
      ready(5),
      ready(4, { stage: 'prod' }),
    ),
    s,
    1000,
  );
  expect(decision).toEqual({ start: 4 });
  expect(ineligibility(ready(6, { model_rollout_rolled_back: 'canary failed' }), s)).toMatch(
    /rolled_back: canary failed/,
  );
  expect(ineligibility(ready(5), s)).toBe('tag stage is absent, the plan wants "prod"');
});

test('on: alias starts the version the alias moves to, once', () => {
  const s = settings({ on: 'alias', alias: 'champion' });
  const state = initialWatcherState();
  expect(decide(state, { versions: [], newest: 3, alias: ready(2) }, s, 0)).toEqual({});
  expect(decide(state, { versions: [], newest: 3, alias: ready(2) }, s, 1000)).toEqual({});
  expect(decide(state, { versions: [], newest: 3, alias: ready(3) }, s, 2000)).toEqual({ start: 3 });
  started(state, 3, 2000);
  expect(decide(state, { versions: [], newest: 3, alias: ready(3) }, s, 3000)).toEqual({});
  // Back to v2: an older version, never started by this watcher: a move is a move.
  expect(decide(state, { versions: [], newest: 3, alias: ready(2) }, s, 4000)).toEqual({ start: 2 });
  started(state, 2, 4000);
  expect(decide(state, { versions: [], newest: 3, alias: ready(3) }, s, 5000)).toEqual({});
  expect(state.events.at(-1)).toMatchObject({ version: 3, what: 'skipped', why: expect.stringContaining('never') });
});

test('events are bounded to the newest 50 and a poll that learns nothing adds none', () => {
  const state = initialWatcherState();
  for (let i = 1; i <= 70; i++) record(state, { at: '', version: i, what: 'seen', why: 'READY' });
  record(state, { at: '', version: 70, what: 'seen', why: 'READY' });
  expect(state.events).toHaveLength(50);
  expect(state.events[0].version).toBe(21);
  expect(state.events.at(-1)?.version).toBe(70);
});

test('the plan refuses unclear watch settings, naming the field', () => {
  expect(() => settings({ on: 'alias' })).toThrow(/alias: champion/);
  expect(() => settings({ on: 'tag' })).toThrow(/version-ready or on: alias/);
  expect(() => settings({ poll: '1ms' })).toThrow(/at least 50ms/);
  expect(() => settings({ tags: { model_rollout_rolled_back: 'x' } })).toThrow(/never picked/);
  expect(() => settings({ tags: { 'team.name': 'fraud' } })).toThrow(
    /"team\.name"[\s\S]*Unity Catalog refuses \. , - = \/ : in tag keys.*no version can carry it/,
  );
  expect(settings({ quiet_period: '2m', poll: '30s' })).toMatchObject({ quiet_period: 120_000, poll: 30_000 });
});

test('polls at the plan interval, backs off after failed polls (up to 16 times), and wakes when a candidate may start', () => {
  const ctx = (failures: number, poll = 30_000) => ({
    input: {} as never,
    settings: settings({ poll }),
    state: { ...initialWatcherState(), failures },
    wake: { now: false },
  });
  expect(nextDelayMs(ctx(0), undefined, 0)).toBe(30_000);
  expect(nextDelayMs(ctx(1), undefined, 0)).toBe(60_000);
  expect(nextDelayMs(ctx(9), undefined, 0)).toBe(16 * 30_000);
  expect(nextDelayMs(ctx(9, 3_600_000), undefined, 0)).toBe(3_600_000);
  expect(nextDelayMs(ctx(0), 5_000, 1_000)).toBe(4_000);
  expect(nextDelayMs(ctx(0), 1_000, 1_000)).toBe(1);
});
