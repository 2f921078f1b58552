/**
 * What an operator sees of a rollout waiting for approval in the Temporal Web UI (the dev server's UI, v2.54), in a
 * real browser: the search-attribute query finds the rollout, its page shows the region children, the activity
 * summaries and the live Current Details; each region's page shows that it awaits approval. Screenshots go to
 * test-artifacts/ (temporal-ui-rollout.png is the rollout's User Metadata tab).
 *
 * Needs Chromium at /usr/bin/chromium (Debian's `chromium` package; .ci/run installs it) or CHROMIUM_PATH, driven by
 * playwright-core; nothing is downloaded.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startRollout, rolloutReport } from '../../src/rollouts';
import {
  abortUpdate,
  approveUpdate,
  endpointLeaseWorkflowId,
  regionWorkflowId,
  rolloutStatusQuery,
} from '../../src/shared/messages';
import { generateWorld } from '../../src/emulator/generate-world';
import { bundleWorkflows, createTemporalEnv, EDGE_CASES, MODEL, Rig, rolloutWorld } from '../support/temporal';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
/** The UI is a single-page app that loads its data after the page: wait for what it shows, within this bound. */
const UI_TIMEOUT = 15_000;
/** The main rollout's regions; the world has 20, which a second rollout takes all of (the details table at 20). */
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
const WORLD_REGIONS = 20;

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment & { uiUrl: string };
let rig: Rig;
let context: BrowserContext;
let page: Page;
let profileDir: string;
let rolloutId: string;
let version: number;
let handle: Awaited<ReturnType<typeof startRollout>>['handle'];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is needed by the Temporal UI test and is not at ${CHROMIUM}: apt-get install chromium (Debian), ` +
        'or set CHROMIUM_PATH',
    );
  let bundle: WorkflowBundleWithSourceMap;
  [env, bundle] = await Promise.all([createTemporalEnv({ ui: true }), bundleWorkflows()]);
  rig = await Rig.start(
    env,
    bundle,
    rolloutWorld(generateWorld({ regions: WORLD_REGIONS, replicationDelay: '150ms', configUpdateDuration: '150ms' })),
  );

  // A rollout that waits for approval in its three regions (as in operations.test.ts).
  version = await rig.register('candidate-good');
  const plan = rig.plan({
    regions: rig.plan().regions.filter((r) => REGIONS.includes(r.name)),
    stages: [{ name: 'canary', traffic: 20, bake: '0ms', approval: true }],
    timeouts: { replication: '10s', config_update: '10s', approval: '5m' },
  });
  ({ handle } = await startRollout(rig.client, { plan, edgeCases: [], version, triggeredBy: 'ui test' }));
  rolloutId = handle.workflowId;
  const deadline = Date.now() + 20_000;
  while (!(await handle.query(rolloutStatusQuery)).regions.every((r) => r.phase === 'awaiting-approval')) {
    if (Date.now() > deadline) throw new Error('timed out waiting for every region to await approval');
    await new Promise((r) => setTimeout(r, 100));
  }

  mkdirSync(ARTIFACTS, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'rollout-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);

afterAll(async () => {
  // Whatever happened above, leave nothing running.
  if (handle && (await handle.describe().catch(() => undefined))?.status.name === 'RUNNING') {
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'ui test', reason: 'cleanup' }] }).catch(() => undefined);
    await rolloutReport(handle).catch(() => undefined);
  }
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await rig?.close();
  await env?.teardown();
});

/** Waits until the locator's first match is visible (the UI renders asynchronously). */
async function visible(locator: Locator): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible' });
  return locator.first();
}

/**
 * The User Metadata tab renders the Summary and the Current Details markdown each in an iframe (`/render?content=`)
 * under an h3 of that name.
 */
function markdownFrame(heading: 'Summary' | 'Current Details'): Locator {
  return page.locator(
    `xpath=//h3[normalize-space()="${heading}"]/ancestor::div[.//iframe][1]//iframe[@title="output"]`,
  );
}

function markdownPanel(heading: 'Summary' | 'Current Details'): FrameLocator {
  return markdownFrame(heading).contentFrame();
}

/** The status badge in a workflow page's header ("Running", "Completed"). */
function workflowStatus(status: string): Locator {
  return page
    .locator('header')
    .filter({ has: page.getByTestId('workflow-id-heading') })
    .getByText(status, { exact: true });
}

/** What unclipCurrentDetails touches of an HTMLIFrameElement (the tests compile without the DOM library). */
interface IFrame {
  contentDocument: { documentElement: { scrollHeight: number } } | null;
  style: { height: string };
}

/**
 * The UI renders Current Details in an iframe 100 px high, which cuts the table after its first row; give it the
 * height of its content so the screenshot shows all of it (the assertions do not depend on this).
 */
async function unclipCurrentDetails() {
  await markdownFrame('Current Details').evaluate((frame: IFrame) => {
    const height = frame.contentDocument?.documentElement.scrollHeight;
    if (height) frame.style.height = `${height + 16}px`;
  });
}

/**
 * Every region's row of the Current Details table lies inside the panel's frame, as the page shows it: nothing cut off
 * at the bottom (UI 2.42 gave the frame 100 px, which hid the table after two rows).
 */
async function everyRegionRowShown(regions: string[]) {
  const frame = await markdownFrame('Current Details').boundingBox();
  const details = markdownPanel('Current Details');
  for (const region of regions) {
    const cell = await visible(details.getByRole('cell', { name: region, exact: true }));
    const box = (await cell.boundingBox())!;
    expect([region, box.y + box.height <= frame!.y + frame!.height]).toEqual([region, true]);
  }
}

/** A workflow's page; the UI finds its latest run and opens its History tab. */
function workflowUrl(workflowId: string): string {
  return `${env.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * The event list shows the newest events first, a page at a time: a rollout's early events (pre-flight, the
 * replication wait) fall off the first page once its history is long. Sort it oldest first.
 */
async function oldestEventsFirst() {
  await openTab('history-tab');
  await page.getByRole('button', { name: 'Descending' }).first().click();
  await visible(page.getByRole('button', { name: 'Ascending' }));
}

async function openTab(testId: 'history-tab' | 'relationships-tab' | 'user-metadata-tab') {
  await page.getByTestId(testId).click();
}

it('lists the rollout for the query RolloutModel="<model>" in the URL', async () => {
  const query = `RolloutModel="${MODEL}"`;
  await page.goto(`${env.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  // The query is applied as a filter, and the rollout is listed.
  const filter = new RegExp(`RolloutModel\\s*=\\s*"${MODEL.replace(/\./g, '\\.')}"`);
  await visible(page.getByRole('button', { name: filter }));
  await visible(page.getByRole('link', { name: rolloutId, exact: true }));
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout-list.png'), fullPage: true });

  await page.getByRole('link', { name: rolloutId, exact: true }).click();
  await visible(page.getByTestId('workflow-id-heading').getByText(rolloutId, { exact: true }));
});

it("shows the rollout's region children, activity summaries and Current Details", async () => {
  await page.goto(workflowUrl(rolloutId));
  await visible(page.getByTestId('workflow-id-heading').getByText(rolloutId, { exact: true }));
  await visible(workflowStatus('Running'));

  // Event History: the parent's pre-flight activities carry their summaries.
  const preflight = `pre-flight: ${MODEL} v${version} is READY in us-east-1`;
  await oldestEventsFirst();
  await visible(page.getByTestId('event-summary-row').filter({ hasText: preflight }));
  // The region children's starts carry theirs.
  for (const region of REGIONS)
    await visible(
      page.getByTestId('event-summary-row').filter({ hasText: `${region}: ${MODEL} v${version} on fraud-detector` }),
    );

  // Relationships: one child per region, by id.
  await openTab('relationships-tab');
  for (const region of REGIONS)
    await visible(page.getByRole('link', { name: regionWorkflowId(rolloutId, region), exact: true }));
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout-children.png'), fullPage: true });

  // User Metadata: the static summary and the live Current Details table.
  await openTab('user-metadata-tab');
  await visible(markdownPanel('Summary').getByText(`Roll out ${MODEL} v${version} to ${REGIONS.join(', ')}`));
  // (Its event summaries list only the newest page of events: pre-flight's are checked in Event History above.)
  const details = markdownPanel('Current Details');
  await visible(details.getByRole('columnheader', { name: 'region' }));
  await visible(details.getByRole('columnheader', { name: 'phase' }));
  await everyRegionRowShown(REGIONS);
  await unclipCurrentDetails();
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout.png'), fullPage: true });
});

// The rollout's Current Details table follows each region's progress (it is redrawn on every region report).
it("shows awaiting-approval in the rollout's Current Details table", async () => {
  await page.goto(workflowUrl(rolloutId));
  await openTab('user-metadata-tab');
  const details = markdownPanel('Current Details');
  await visible(details.getByRole('cell', { name: 'us-east-1', exact: true }));
  expect(await details.locator('table').innerText()).toMatch(/us-east-1\s+awaiting-approval/);
});

it("shows a region's activity summaries and that it awaits approval", async () => {
  const child = regionWorkflowId(rolloutId, 'us-east-1');
  await page.goto(workflowUrl(rolloutId));
  await openTab('relationships-tab');
  await page.getByRole('link', { name: child, exact: true }).click();
  await visible(page.getByTestId('workflow-id-heading').getByText(child, { exact: true }));

  const replication = `us-east-1: wait for ${MODEL} v${version} to replicate`;
  await oldestEventsFirst();
  await visible(page.getByTestId('event-summary-row').filter({ hasText: replication }));
  await openTab('user-metadata-tab');
  const details = markdownPanel('Current Details');
  await visible(details.getByText(/awaiting-approval/));
  await visible(details.getByText(/stage canary/));
  await unclipCurrentDetails();
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout-region.png'), fullPage: true });
});

it('finishes once approved, and the UI shows it completed', async () => {
  await handle.executeUpdate(approveUpdate, { args: [{ approver: 'ui-test', reason: 'seen in the UI' }] });
  expect((await rolloutReport(handle)).outcome).toBe('succeeded');
  await page.goto(workflowUrl(rolloutId));
  await visible(page.getByTestId('workflow-id-heading').getByText(rolloutId, { exact: true }));
  await visible(workflowStatus('Completed'));
});

it('shows every row of a 20-region rollout, and lists the rollouts that did not succeed as Failed', async () => {
  const wide = await rig.register('candidate-good');
  const plan = rig.plan({
    stages: [{ name: 'canary', traffic: 20, bake: '0ms', approval: true }],
    timeouts: { replication: '30s', config_update: '30s', approval: '5m' },
  });
  expect(plan.regions).toHaveLength(WORLD_REGIONS);
  const started = await startRollout(rig.client, { plan, edgeCases: [], version: wide, triggeredBy: 'ui test' });
  const deadline = Date.now() + 60_000;
  while (!(await started.handle.query(rolloutStatusQuery)).regions.every((r) => r.phase === 'awaiting-approval')) {
    if (Date.now() > deadline) throw new Error('timed out waiting for 20 regions to await approval');
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.goto(workflowUrl(started.workflowId));
  await openTab('user-metadata-tab');
  await everyRegionRowShown(plan.regions.map((r) => r.name));
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout-20-regions.png'), fullPage: true });
  await started.handle.executeUpdate(abortUpdate, { args: [{ by: 'ui test', reason: 'seen all 20 rows' }] });
  expect((await rolloutReport(started.handle)).outcome).toBe('aborted');

  // A bad version: its edge cases fail in the first region, which is restored; the rollout is rolled back.
  const bad = await startRollout(rig.client, {
    plan: rig.plan({
      regions: rig.plan().regions.filter((r) => REGIONS.includes(r.name)),
      tests: { edge_cases: { file: 'inline', tolerance: 0.02 } },
      stages: [{ name: 'canary', traffic: 10, bake: '0ms' }],
    }),
    edgeCases: EDGE_CASES,
    version: await rig.register('candidate-bad'),
    triggeredBy: 'ui test',
  });
  expect((await rolloutReport(bad.handle)).outcome).toBe('rolled-back');

  // The list: the rolled-back and the aborted rollouts red (Failed), the approved one green (Completed).
  const query = `RolloutModel="${MODEL}"`;
  await page.goto(`${env.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  const row = (id: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: id, exact: true }) });
  await visible(row(bad.workflowId).getByText('Failed', { exact: true }));
  await visible(row(started.workflowId).getByText('Failed', { exact: true }));
  await visible(row(rolloutId).getByText('Completed', { exact: true }));
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout-list-outcomes.png'), fullPage: true });
  // The bad one's page says why in a sentence.
  await page.goto(workflowUrl(bad.workflowId));
  await visible(workflowStatus('Failed'));
  // Its Result panel: the typed failure, its sentence, and the report in its details.
  await visible(page.getByText(/RolloutRolledBack/));
  await visible(page.getByText(/rolled back in us-east-1[a-z0-9, -]*: edge-cases failed/));
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-rollout-failed.png'), fullPage: true });

  // Every endpoint lease of the three rollouts ended Completed, released by its holder: none Terminated.
  const leases = 'WorkflowType="endpointLeaseWorkflow"';
  await page.goto(`${env.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(leases)}`);
  await visible(page.getByRole('link', { name: endpointLeaseWorkflowId('us-east-1', 'fraud-detector'), exact: true }));
  await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-leases.png'), fullPage: true });
  const statuses = new Map<string, number>();
  for await (const lease of rig.client.workflow.list({ query: leases }))
    statuses.set(lease.status.name, (statuses.get(lease.status.name) ?? 0) + 1);
  expect([...statuses.keys()]).toEqual(['COMPLETED']);
  expect(await page.getByRole('row').getByText('Terminated', { exact: true }).count()).toBe(0);
}, 240_000);
