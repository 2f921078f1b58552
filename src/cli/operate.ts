/**
 * The commands that act on a running rollout through its updates: approve, reject, pause, resume, abort, skip-bake,
 * retry-rollback. Each answers with what was done, or why the rollout refused (exit 7).
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  abortUpdate,
  approveUpdate,
  pauseUpdate,
  rejectUpdate,
  resumeUpdate,
  retryRollbackUpdate,
  skipBakeUpdate,
} from '../shared/messages';
import type { ApprovalAnswer } from '../shared/types';
import { EXIT_OK, parseCommandArgs, UsageError, type Command } from './command';
import {
  CommandError,
  connect,
  CONNECTION_HELP,
  checkRolloutId,
  existingRollout,
  EXIT,
  EXIT_CODES_HELP,
  identity,
} from './context';
import { terminalLine } from '../shared/untrusted-text';
import { REGION_NAME } from '../plan/schema';

/** A reason is a sentence or a link, and it is recorded in history with every approval. */
const MAX_REASON_LENGTH = 1000;

interface Operation {
  name: string;
  summary: string;
  detail: string;
  reasonRequired: boolean;
  regionOption: boolean;
  send: (
    handle: Awaited<ReturnType<typeof existingRollout>>,
    request: { by: string; reason?: string; region?: string; stage?: string },
  ) => Promise<string>;
}

/** What a decision did, a line per outcome; the approvers and the reason are user text, escaped. */
function describeDecision(answer: ApprovalAnswer, by: string, reason?: string): string {
  const regions = answer.regions.map((r) => `${r.region} (stage ${r.stage})`).join(', ');
  const elsewhere = (answer.alreadyDecided ?? []).map(
    (r) =>
      `\n${terminalLine(`${r.region}: stage ${r.stage} was already ${r.decision} by ${r.by}; yours was refused there`)}`,
  );
  return `${terminalLine(`${answer.decision} ${regions} as ${by}${reason ? `: ${reason}` : ''}`)}${elsewhere.join('')}`;
}

const OPERATIONS: Operation[] = [
  {
    name: 'approve',
    summary: 'approve the regions awaiting approval',
    detail: 'Approves the stage every region (or --region) awaits; refused when nothing awaits approval.',
    reasonRequired: true,
    regionOption: true,
    send: async (handle, r) =>
      describeDecision(
        await handle.executeUpdate(approveUpdate, {
          args: [{ approver: r.by, reason: r.reason, region: r.region, ...(r.stage ? { stage: r.stage } : {}) }],
        }),
        r.by,
        r.reason,
      ),
  },
  {
    name: 'reject',
    summary: 'reject the regions awaiting approval (they roll back)',
    detail: 'Rejects the stage every region (or --region) awaits; those regions restore their previous config.',
    reasonRequired: true,
    regionOption: true,
    send: async (handle, r) =>
      describeDecision(
        await handle.executeUpdate(rejectUpdate, {
          args: [{ approver: r.by, reason: r.reason, region: r.region, ...(r.stage ? { stage: r.stage } : {}) }],
        }),
        r.by,
        r.reason,
      ),
  },
  {
    name: 'pause',
    summary: 'pause before the next step',
    detail: 'Regions finish their current step, then wait; bake timers keep running.',
    reasonRequired: false,
    regionOption: false,
    send: (handle, r) => handle.executeUpdate(pauseUpdate, { args: [r] }),
  },
  {
    name: 'resume',
    summary: 'resume a paused rollout',
    detail: 'Lets a paused rollout go on.',
    reasonRequired: false,
    regionOption: false,
    send: (handle, r) => handle.executeUpdate(resumeUpdate, { args: [r] }),
  },
  {
    name: 'abort',
    summary: 'stop and restore every touched region',
    detail: 'Stops the rollout: running regions and promoted ones are restored to their recorded config.',
    reasonRequired: true,
    regionOption: false,
    send: (handle, r) => handle.executeUpdate(abortUpdate, { args: [r] }),
  },
  {
    name: 'skip-bake',
    summary: 'end the current bake early',
    detail: 'Ends the bake of every baking region (or --region); its gate runs at once.',
    reasonRequired: false,
    regionOption: true,
    send: (handle, r) => handle.executeUpdate(skipBakeUpdate, { args: [r] }),
  },
  {
    name: 'retry-rollback',
    summary: 'retry a rollback that failed',
    detail: 'Regions waiting in rollback-failed (or --region) try restoring their recorded config again.',
    reasonRequired: false,
    regionOption: true,
    send: (handle, r) => handle.executeUpdate(retryRollbackUpdate, { args: [r] }),
  },
];

function help(op: Operation): string {
  const decides = op.name === 'approve' || op.name === 'reject';
  return `Usage: rollout ${op.name} <rollout-id>${op.regionOption ? ' [--region R]' : ''}${decides ? ' [--stage S]' : ''} ${op.reasonRequired ? '--reason "..."' : '[--reason "..."]'} [--as who]

${op.detail}
The identity recorded is --as, else GITHUB_ACTOR, else the OS user.

Options:
${op.regionOption ? '  --region <R>   only this region\n' : ''}${decides ? '  --stage <S>    only if this is the stage awaiting approval (a decision for a stage already\n                 decided is refused, exit 7, rather than landing on the next stage)\n' : ''}  --reason <text>  why (recorded in the rollout's history)${op.reasonRequired ? '; required' : ''}
  --as <who>       who is acting
  -h, --help       show this help

${EXIT_CODES_HELP}

${CONNECTION_HELP}

Example:
  rollout ${op.name} rollout-main.ml.fraud_detector-v5${op.regionOption ? ' --region eu-west-1' : ''} --reason "canary metrics reviewed"
`;
}

export const operationCommands: Command[] = OPERATIONS.map((op) => ({
  name: op.name,
  summary: op.summary,
  help: help(op),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(op.name, args, {
      region: { type: 'string', example: 'eu-west-1' },
      stage: { type: 'string', example: 'canary' },
      reason: { type: 'string', example: '"metrics reviewed"' },
      as: { type: 'string', example: 'alice' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(help(op));
      return EXIT_OK;
    }
    if (values.stage !== undefined && op.name !== 'approve' && op.name !== 'reject')
      throw new UsageError(`rollout ${op.name}: --stage applies to approve and reject only`);
    if (values.region !== undefined && !op.regionOption)
      throw new UsageError(`rollout ${op.name}: --region does not apply; it acts on the whole rollout`);
    if (typeof values.region === 'string' && !REGION_NAME.test(values.region))
      throw new UsageError(
        `rollout ${op.name}: --region is a region name (lower-case letters, digits, "-"), e.g. eu-west-1`,
      );
    if (typeof values.reason === 'string' && values.reason.length > MAX_REASON_LENGTH)
      throw new UsageError(
        `rollout ${op.name}: --reason is at most ${MAX_REASON_LENGTH} characters; link to the details`,
      );
    if (op.reasonRequired && !(typeof values.reason === 'string' && values.reason.trim()))
      throw new UsageError(`rollout ${op.name}: --reason is required, e.g. --reason "canary metrics reviewed"`);
    if (positionals.length > 1)
      throw new UsageError(`rollout ${op.name}: give one rollout id, got ${positionals.join(' ')}`);
    const by = identity(values.as as string | undefined, io);
    checkRolloutId(positionals[0], op.name);
    const session = await connect(io);
    try {
      const handle = await existingRollout(session, positionals[0], op.name);
      try {
        const answer = await op.send(handle, {
          by,
          reason: values.reason as string | undefined,
          region: values.region as string | undefined,
          stage: values.stage as string | undefined,
        });
        // The answer repeats the reason and the approver: escaped (a decision's answer escapes each of its lines).
        io.out(`${op.name === 'approve' || op.name === 'reject' ? answer : terminalLine(answer)}\n`);
        return EXIT.ok;
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new CommandError(EXIT.refused, `refused: ${err.cause?.message ?? err.message}`);
        throw err;
      }
    } finally {
      await session.close();
    }
  },
}));
