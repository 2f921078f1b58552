/**
 * The plan's size limits against what they protect: the history estimate measured on real recorded rollout
 * histories, and the regions and stages limits against Temporal's history event limit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  estimateRolloutHistoryEvents,
  HISTORY_EVENT_BUDGET,
  jsonSizeWithin,
  MAX_REGIONS,
  MAX_MODEL_VERSION,
  MAX_STAGES,
  MAX_UC_NAME,
  TEMPORAL_HISTORY_EVENT_LIMIT,
} from '../../src/plan/limits';
import { MAX_WORKFLOW_ID_LENGTH } from '../../src/cli/context';
import { regionWorkflowId, rolloutWorkflowId } from '../../src/shared/messages';
import { planSchema } from '../../src/plan/schema';
import { formatZodIssues } from '../../src/shared/duration';

type RecordedEvent = {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } };
};

/** A recorded rollout history: its event count, and the regions and stages of the plan it ran (from its input). */
function recorded(name: string) {
  const { events } = JSON.parse(readFileSync(join(__dirname, '..', 'histories', `${name}.json`), 'utf8')) as {
    events: RecordedEvent[];
  };
  const input = JSON.parse(
    Buffer.from(events[0].workflowExecutionStartedEventAttributes!.input.payloads[0].data, 'base64').toString(),
  ) as { plan: { regions: unknown[]; stages: unknown[]; after_promotion?: unknown } };
  return {
    events: events.length,
    regions: input.plan.regions.length,
    stages: input.plan.stages.length,
    afterPromotion: input.plan.after_promotion !== undefined,
  };
}

describe('estimateRolloutHistoryEvents', () => {
  it.each([
    'rollout-approved',
    'rollout-aborted',
    'rollout-aborted-keyed',
    'rollout-rolled-back',
    'rollout-shadow-ab',
    'rollout-queued',
    'rollout-live-canary',
    'rollout-release',
    'rollout-release-rolled-back',
    'rollout-after-promotion',
  ])('bounds the recorded history %s from above, within a factor of 2', (name) => {
    const history = recorded(name);
    const estimate = estimateRolloutHistoryEvents(history.regions, history.stages, history.afterPromotion);
    expect(estimate).toBeGreaterThanOrEqual(history.events);
    expect(estimate).toBeLessThanOrEqual(2 * history.events);
  });

  it('keeps the largest plans the limits allow under the budget, itself under Temporal’s limit', () => {
    expect(HISTORY_EVENT_BUDGET).toBeLessThan(TEMPORAL_HISTORY_EVENT_LIMIT);
    // The most regions at the usual 1-3 stages, and the most stages at the regions the budget leaves.
    expect(estimateRolloutHistoryEvents(MAX_REGIONS, 1)).toBeLessThan(HISTORY_EVENT_BUDGET);
    expect(estimateRolloutHistoryEvents(MAX_REGIONS, 3)).toBeLessThan(HISTORY_EVENT_BUDGET);
    expect(estimateRolloutHistoryEvents(50, MAX_STAGES)).toBeLessThan(HISTORY_EVENT_BUDGET);
    // Before the limits, 5001 regions validated: about 100 times Temporal's limit.
    expect(estimateRolloutHistoryEvents(5001, 1)).toBeGreaterThan(5 * TEMPORAL_HISTORY_EVENT_LIMIT);
  });
});

function plan(regions: number, stages: number) {
  return {
    model: 'main.ml.churn',
    primary: 'r0',
    regions: Array.from({ length: regions }, (_, i) => ({
      name: `r${i}`,
      workspace: { profile: `r${i}` },
      endpoint: 'churn',
      ...(i ? { shared_catalog: 'ml_shared' } : {}),
    })),
    stages: Array.from({ length: stages }, (_, i) => ({ name: `s${i}`, traffic: Math.min(100, 5 * (i + 1)) })),
  };
}
const problems = (input: unknown) => {
  const result = planSchema.safeParse(input);
  return result.success ? [] : formatZodIssues(result.error);
};

describe('plan size limits', () => {
  it('accepts 250 regions and 20 stages apart, refuses one more of either', () => {
    expect(problems(plan(MAX_REGIONS, 1))).toEqual([]);
    expect(problems(plan(50, MAX_STAGES))).toEqual([]);
    expect(problems(plan(MAX_REGIONS + 1, 1))).toEqual([
      'regions: at most 250 regions; split the rollout into several plans',
    ]);
    expect(problems(plan(2, MAX_STAGES + 1))).toEqual(['stages: at most 20 stages; most plans need 2-5']);
  });

  it('refuses regions and stages that together would outgrow the history', () => {
    expect(problems(plan(100, 20))).toEqual([
      `stages: 100 regions x 20 stages would write about ${estimateRolloutHistoryEvents(100, 20)} events to the rollout's Temporal history, over the budget of 40960 (Temporal stops a workflow at 51200); use fewer stages or split the regions into several plans`,
    ]);
  });
});

describe('jsonSizeWithin', () => {
  it('measures JSON and stops early on a value that aliases make huge', () => {
    const value = { a: [1, 'x', null, true], b: { c: 'é' } };
    expect(jsonSizeWithin(value, 1000)).toBe(JSON.stringify(value).length);
    let shared: unknown = 'x'.repeat(100);
    for (let i = 0; i < 40; i++) shared = [shared, shared]; // 2^40 copies: JSON.stringify would never finish
    expect(jsonSizeWithin(shared, 1_000_000)).toBe(Infinity);
  });
});

describe('approvals.allowed', () => {
  it('records identities in one spelling: trimmed and NFKC-folded', () => {
    const parsed = planSchema.parse({ ...plan(1, 1), approvals: { allowed: [' alice ', '\uff42\uff4f\uff42'] } });
    expect(parsed.approvals?.allowed).toEqual(['alice', 'bob']);
  });
});

describe('workflow ids', () => {
  it('stay within Temporal’s 1000 characters for the longest names the plan allows', () => {
    const model = ['c', 's', 'm'].map((c) => c.repeat(MAX_UC_NAME)).join('.');
    const parsed = planSchema.parse({ ...plan(1, 1), model, version: MAX_MODEL_VERSION });
    const region = `r${'-'.repeat(40)}`;
    expect(planSchema.shape.regions.element.shape.name.safeParse(region).success).toBe(true);
    const id = regionWorkflowId(rolloutWorkflowId(parsed.model, MAX_MODEL_VERSION), region);
    expect(id.length).toBeLessThanOrEqual(MAX_WORKFLOW_ID_LENGTH);
    expect(planSchema.safeParse({ ...plan(1, 1), model: `${model}x` }).success).toBe(false);
  });
});
