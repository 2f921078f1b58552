import { ganttLines, mermaidText, renderStepSummary } from '../../src/cli/step-summary';
import type { Plan } from '../../src/plan/schema';
import type { RegionPhase, RegionReport, RolloutReport } from '../../src/shared/types';
import { parsePlan, planInput } from '../plan/helpers';

const T0 = Date.parse('2025-03-04T10:00:00.000Z');
/** An ISO time `s` seconds after T0. */
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const ms = (s: number) => String(T0 + s * 1000);

function timeline(...entries: [number, RegionPhase, string?][]): RegionReport['timeline'] {
  return entries.map(([s, phase, stage]) => ({ phase, at: at(s), ...(stage ? { stage } : {}) }));
}

/** eu-west-1 promoted through canary and half, approved by alice. */
function promoted(): RegionReport {
  return {
    region: 'eu-west-1',
    phase: 'promoted',
    stage: 'half',
    outcome: 'promoted',
    challengerWeight: 100,
    phaseSince: at(72),
    startedAt: at(0),
    finishedAt: at(72),
    paused: false,
    checks: [
      { check: 'health', passed: true, summary: '3 of 3 queries answered', failures: [], at: at(5) },
      { check: 'edge-cases', stage: 'canary', passed: true, summary: '8 of 8 cases match', failures: [], at: at(26) },
    ],
    approvals: [{ stage: 'half', decision: 'approved', by: 'alice', reason: 'canary looks good', at: at(70) }],
    timeline: timeline(
      [0, 'waiting-for-replication'],
      [2, 'recording-rollback-point'],
      [3, 'updating', 'canary'],
      [5, 'testing', 'canary'],
      [6, 'baking', 'canary'],
      [26, 'gating', 'canary'],
      [27, 'updating', 'half'],
      [29, 'baking', 'half'],
      [49, 'awaiting-approval', 'half'],
      [70, 'promoting', 'half'],
      [72, 'promoted', 'half'],
    ),
  };
}

/** us-east-1: the edge cases fail in canary and the region rolls back. */
function rolledBack(): RegionReport {
  return {
    region: 'us-east-1',
    phase: 'rolled-back',
    stage: 'canary',
    outcome: 'rolled-back',
    challengerWeight: 0,
    phaseSince: at(112),
    startedAt: at(80),
    finishedAt: at(112),
    paused: false,
    error: 'edge-cases failed in stage canary: 5 of 8 cases match',
    checks: [
      {
        check: 'edge-cases',
        stage: 'canary',
        passed: false,
        summary: '5 of 8 cases match',
        failures: ['zero amount', 'negative', 'huge', 'unicode'],
        at: at(106),
      },
    ],
    approvals: [],
    timeline: timeline(
      [80, 'waiting-for-replication'],
      [82, 'recording-rollback-point'],
      [83, 'updating', 'canary'],
      [85, 'baking', 'canary'],
      [105, 'gating', 'canary'],
      [106, 'rolling-back', 'canary'],
      [110, 'rolling-back', 'canary'],
      [112, 'rolled-back', 'canary'],
    ),
  };
}

function skipped(region: string): RegionReport {
  return {
    region,
    phase: 'skipped',
    outcome: 'skipped',
    challengerWeight: 0,
    phaseSince: at(0),
    paused: false,
    checks: [],
    approvals: [],
    timeline: [],
  };
}

function report(regions: RegionReport[], extra: Partial<RolloutReport> = {}): RolloutReport {
  return {
    rolloutId: 'rollout-main.ml.churn-v7',
    model: 'main.ml.churn',
    version: 7,
    phase: 'done',
    outcome: 'succeeded',
    paused: false,
    startedAt: at(0),
    finishedAt: at(120),
    regions,
    ...extra,
  };
}

const plan: Plan = parsePlan(planInput());

describe('renderStepSummary', () => {
  it('shows a release as one unit: its members in the summary, and each member with its weight in the region row', () => {
    const member = { name: 'features', model: 'main.ml.churn_features', version: 3, endpoint: 'churn-features' };
    const markdown = renderStepSummary(
      report(
        [
          { ...promoted(), release: [{ ...member, state: 'promoted', challengerWeight: 100 }] },
          {
            ...rolledBack(),
            release: [{ ...member, model: 'ml_shared.ml.churn_features', state: 'rolled-back', challengerWeight: 0 }],
          },
        ],
        { release: [member] },
      ),
      { plan },
    );
    expect(markdown).toContain(
      '- Release: main.ml.churn v7 with features (main.ml.churn\\_features v3 on churn-features)\n',
    );
    expect(markdown).toMatch(/\| 100% \(features promoted 100%\) \|/);
    expect(markdown).toMatch(/\| 0% \(features rolled-back 0%\) \|/);
  });

  it('renders the title, the link, the summary lines and one table row per region', () => {
    const markdown = renderStepSummary(report([promoted()]), { uiUrl: 'http://localhost:8233/', plan });
    const lines = markdown.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '## Rollout of `main.ml.churn` v7: SUCCEEDED',
      '',
      '- Rollout: `rollout-main.ml.churn-v7` ([Temporal UI](http://localhost:8233/namespaces/default/workflows/rollout-main.ml.churn-v7))',
      '- Started 2025-03-04T10:00:00.000Z, finished 2025-03-04T10:02:00.000Z: 2m 0s',
      '- 1 region: 1 promoted',
      '',
      '| Region | Outcome | Stages | v7 weight | Checks | Approvals | Duration |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    ]);
    expect(lines[8]).toBe(
      '| `eu-west-1` | promoted | canary → half (2 of 2) | 100% | PASS health: 3 of 3 queries answered<br>PASS edge-cases (canary): 8 of 8 cases match | half: approved by alice: canary looks good | 1m 12s |',
    );
    expect(markdown.endsWith('```\n')).toBe(true);
  });

  it("lists a region's own warnings (a regression found after the rollback window) with the rollout's", () => {
    const region = { ...promoted(), warnings: ['v7 regressed after promotion, found 40m after promotion'] };
    const lines = renderStepSummary(report([region], { warnings: ['pre-flight let this through'] }), { plan }).split(
      '\n',
    );
    expect(lines.slice(4, 7)).toEqual([
      '- 1 region: 1 promoted',
      '- Warning: pre-flight let this through',
      '- Warning (`eu-west-1`): v7 regressed after promotion, found 40m after promotion',
    ]);
  });

  it('encodes the rollout id and the namespace in the link, and refuses a UI URL that is not a base', () => {
    const markdown = renderStepSummary(report([promoted()], { rolloutId: 'rollout-a b/c' }), {
      uiUrl: 'https://cloud.temporal.io',
      namespace: 'ml-prod.a1b2c',
    });
    expect(markdown).toContain('(https://cloud.temporal.io/namespaces/ml-prod.a1b2c/workflows/rollout-a%20b%2Fc)');
    expect(renderStepSummary(report([promoted()]), {})).not.toContain('Temporal UI');
    expect(() =>
      renderStepSummary(report([]), { uiUrl: 'http://localhost:8233/namespaces/default/workflows/x' }),
    ).toThrow(
      'options.uiUrl: "http://localhost:8233/namespaces/default/workflows/x" is a page of the UI; pass the UI\'s base (e.g. http://localhost:8233) and the namespace in options.namespace',
    );
    expect(() => renderStepSummary(report([]), { uiUrl: 'localhost:8233' })).toThrow(
      /^options\.uiUrl: "localhost:8233"/,
    );
    expect(() => renderStepSummary(report([]), { uiUrl: 'javascript:alert(1)' })).toThrow(/not an http\(s\) URL/);
    expect(() => renderStepSummary(report([]), { uiUrl: 'http://a:b@ui' })).toThrow(/without credentials/);
    expect(() => renderStepSummary(report([]), { uiUrl: 'http://ui', namespace: ' ' })).toThrow(
      /^options\.namespace: is empty/,
    );
  });

  it('renders the Gantt chart: one task per contiguous phase span, milestones for the end, unique ids', () => {
    const lines = ganttLines(report([promoted(), rolledBack(), skipped('ap-south-1')]));
    expect(lines).toEqual([
      'gantt',
      '    dateFormat x',
      '    axisFormat %H:%M:%S',
      '    todayMarker off',
      '    section eu-west-1',
      `    waiting-for-replication :r0t0, ${ms(0)}, ${ms(2)}`,
      `    recording-rollback-point :r0t1, ${ms(2)}, ${ms(3)}`,
      `    canary#58; updating :r0t2, ${ms(3)}, ${ms(5)}`,
      `    canary#58; testing :r0t3, ${ms(5)}, ${ms(6)}`,
      `    canary#58; baking :r0t4, ${ms(6)}, ${ms(26)}`,
      `    canary#58; gating :r0t5, ${ms(26)}, ${ms(27)}`,
      `    half#58; updating :r0t6, ${ms(27)}, ${ms(29)}`,
      `    half#58; baking :r0t7, ${ms(29)}, ${ms(49)}`,
      `    half#58; awaiting-approval :r0t8, ${ms(49)}, ${ms(70)}`,
      `    promoting :r0t9, ${ms(70)}, ${ms(72)}`,
      `    promoted :milestone, r0t10, ${ms(72)}, ${ms(72)}`,
      '    section us-east-1',
      `    waiting-for-replication :r1t0, ${ms(80)}, ${ms(82)}`,
      `    recording-rollback-point :r1t1, ${ms(82)}, ${ms(83)}`,
      `    canary#58; updating :r1t2, ${ms(83)}, ${ms(85)}`,
      `    canary#58; baking :r1t3, ${ms(85)}, ${ms(105)}`,
      `    canary#58; gating :r1t4, ${ms(105)}, ${ms(106)}`,
      // Two consecutive rolling-back entries (a retried rollback) are one span.
      `    canary#58; rolling-back :crit, r1t5, ${ms(106)}, ${ms(112)}`,
      `    rolled-back :crit, milestone, r1t6, ${ms(112)}, ${ms(112)}`,
    ]);
    const ids = lines!.filter((l) => l.includes(' :')).map((l) => l.split(', ').at(-3)!.replace(/^.*:/, ''));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('ends a last span that is not an end phase at the region end, never before its start', () => {
    const region = promoted();
    region.timeline = timeline([0, 'waiting-for-replication'], [10, 'rollback-failed']);
    region.finishedAt = at(30);
    expect(ganttLines(report([region]))!.slice(5)).toEqual([
      `    waiting-for-replication :r0t0, ${ms(0)}, ${ms(10)}`,
      `    rollback-failed :crit, r0t1, ${ms(10)}, ${ms(30)}`,
    ]);
    // Without its own end, the rollout's; a clock that went backwards gives an empty span, not a negative one.
    region.finishedAt = undefined;
    expect(ganttLines(report([region]))!.at(-1)).toBe(`    rollback-failed :crit, r0t1, ${ms(10)}, ${ms(120)}`);
    region.timeline = timeline([10, 'baking', 'canary'], [5, 'gating', 'canary']);
    region.finishedAt = at(2);
    expect(ganttLines(report([region]))!.slice(5)).toEqual([
      `    canary#58; baking :r0t0, ${ms(10)}, ${ms(10)}`,
      `    canary#58; gating :r0t1, ${ms(5)}, ${ms(5)}`,
    ]);
  });

  it('escapes what Mermaid and Markdown treat specially', () => {
    expect(mermaidText('canary: baking')).toBe('canary#58; baking');
    expect(mermaidText('a#b;c%d`e')).toBe('a#35;b#59;c#37;d#96;e');
    // An entity written in the text stays text.
    expect(mermaidText('#58;')).toBe('#35;58#59;');
    expect(mermaidText('two\nlines')).toBe('two lines');
    // Keywords the Gantt lexer would take at the start of a line.
    expect(mermaidText('gantt-test: baking')).toBe('#103;antt-test#58; baking');
    expect(mermaidText('Section-b')).toBe('#83;ection-b');
    expect(mermaidText('2025-01-01-stage')).toBe('#50;025-01-01-stage');
    expect(mermaidText('sections too')).toBe('#115;ections too');
    expect(mermaidText('canary')).toBe('canary');

    const region = rolledBack();
    region.region = 'us-east-1';
    region.error = 'gate | failed <script>alert(1)</script> see [x](javascript:alert(1))\nsecond line';
    region.approvals = [{ stage: 'canary', decision: 'rejected', by: 'bob_smith', reason: '**no**', at: at(100) }];
    region.timeline[2].stage = 'can:ary#1';
    const markdown = renderStepSummary(report([region], { outcome: 'rolled-back' }));
    const row = markdown.split('\n').find((l) => l.startsWith('| `us-east-1`'))!;
    expect(row).toContain(
      'rolled-back<br>gate \\| failed \\<script\\>alert(1)\\</script\\> see \\[x\\](javascript:alert(1)) second line',
    );
    expect(row).toContain('| canary: rejected by bob\\_smith: \\*\\*no\\*\\* |');
    expect(row.split(' | ')).toHaveLength(7);
    expect(markdown).toContain(`    can#58;ary#35;1#58; updating :r0t2, ${ms(83)}, ${ms(85)}`);
  });

  it('reports a failed rollout: the error, the failed region, the failing cases and the stages it reached', () => {
    const markdown = renderStepSummary(
      report([promoted(), rolledBack(), skipped('ap-south-1')], {
        outcome: 'partially-failed',
        error: 'edge-cases failed in stage canary: 5 of 8 cases match',
      }),
      { plan },
    );
    expect(markdown).toMatch(/^## Rollout of `main.ml.churn` v7: PARTIALLY FAILED\n/);
    expect(markdown).toContain('\n- 3 regions: 1 promoted, 1 rolled-back, 1 skipped\n');
    expect(markdown).toContain('\n- Error: edge-cases failed in stage canary: 5 of 8 cases match\n');
    expect(markdown).toContain(
      '\n| `us-east-1` (primary) | rolled-back<br>edge-cases failed in stage canary: 5 of 8 cases match | canary (1 of 2) | 0% | FAIL edge-cases (canary): 5 of 8 cases match; failing: zero amount, negative, huge (+1 more) | none | 32s |\n',
    );
    expect(markdown).toContain('\n| `ap-south-1` | skipped | none (0 of 2) | 0% | none | none | n/a |\n');
    expect(markdown).not.toContain('section ap-south-1');
    for (const [outcome, word] of [
      ['rolled-back', 'ROLLED BACK'],
      ['failed', 'FAILED'],
      ['aborted', 'ABORTED'],
      ['superseded', 'SUPERSEDED'],
      ['refused', 'REFUSED'],
    ] as const)
      expect(renderStepSummary(report([], { outcome }))).toMatch(
        new RegExp(`^## Rollout of \`main.ml.churn\` v7: ${word}\n`),
      );
  });

  it('says so when no region started, and draws no chart', () => {
    const markdown = renderStepSummary(
      report([skipped('us-east-1')], { outcome: 'refused', error: 'another rollout of main.ml.churn is running' }),
    );
    expect(markdown).toContain('### Timeline\n\nNo region started, so there is no timeline.\n');
    expect(markdown).not.toContain('```mermaid');
  });

  it('names the field of a timestamp that is not one', () => {
    const region = promoted();
    region.timeline[3].at = 'yesterday';
    expect(() => renderStepSummary(report([region]))).toThrow(
      'report.regions[0].timeline[3].at: "yesterday" is not an ISO 8601 time',
    );
    expect(() => renderStepSummary(report([promoted()], { finishedAt: 'soon' }))).toThrow(
      /^report\.finishedAt: "soon"/,
    );
  });

  it('never prints a token, even one echoed into an error, a check or a reason', () => {
    const token = 'dapi0123456789abcdef0123456789abcdef';
    const hostPlan = parsePlan({
      ...planInput(),
      regions: planInput().regions.map((r) => ({
        ...r,
        workspace: { host: `https://adb-${r.name}.azuredatabricks.net` },
      })),
    });
    const region = rolledBack();
    region.error = `401 Unauthorized: Authorization: Bearer ${token}`;
    region.checks[0].failures = [`token=${token}`];
    region.approvals = [{ stage: 'canary', decision: 'approved', by: 'ci', reason: `used ${token}-2`, at: at(100) }];
    region.timeline[2].stage = token;
    const markdown = renderStepSummary(report([promoted(), region], { error: `failed with ${token}` }), {
      plan: hostPlan,
      uiUrl: 'http://localhost:8233',
    });
    expect(markdown).not.toMatch(/dapi/i);
    expect(markdown).not.toContain('0123456789abcdef');
    expect(markdown).toContain('Bearer \\[REDACTED\\]');
    // The workspaces' hosts are not printed either: the summary says what happened, not where credentials go.
    expect(markdown).not.toContain('azuredatabricks.net');
  });

  it('is deterministic: the same report gives the same text', () => {
    const input = report([promoted(), rolledBack()], { outcome: 'partially-failed' });
    const first = renderStepSummary(input, { plan, uiUrl: 'http://localhost:8233' });
    expect(renderStepSummary(structuredClone(input), { plan, uiUrl: 'http://localhost:8233' })).toBe(first);
  });
});

describe('refused approvals', () => {
  it('are listed with who was refused and why, per region and for the whole rollout', () => {
    const region = promoted();
    const rollout = report([region], {
      refusedApprovals: [
        { by: 'mallory', at: at(50), why: 'mallory may not approve this rollout; allowed: alice' },
        { by: 'eve', region: region.region, at: at(50), why: 'eve may not approve' },
      ],
    });
    const markdown = renderStepSummary(rollout);
    expect(markdown).toContain(
      "- Approvals refused (not in the plan's approvals.allowed): refused: mallory: mallory may not approve this rollout; allowed: alice",
    );
    const row = markdown.split('\n').find((line) => line.startsWith(`| \`${region.region}\``))!;
    expect(row).toContain('refused: eve: eve may not approve');
  });
});
