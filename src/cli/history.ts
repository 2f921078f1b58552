/**
 * `rollout history <id>`: a readable timeline of a rollout, read from its event history (so it works when no worker
 * runs and after the rollout ended), with the Temporal UI link.
 */
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { RegionStatus, RolloutInput, RolloutReport } from '../shared/types';
import { EXIT_OK, parseCommandArgs, UsageError, type Command } from './command';
import { connect, CONNECTION_HELP, checkRolloutId, existingRollout, EXIT, EXIT_CODES_HELP, uiLink } from './context';
import { terminalLine } from '../shared/untrusted-text';
import { weightWithRelease } from '../shared/release';
import { isRolloutFailureType } from '../shared/rollout-failure';

type IEvent = temporal.api.history.v1.IHistoryEvent;
type IPayload = temporal.api.common.v1.IPayload;
const EventType = temporal.api.enums.v1.EventType;

const HELP = `Usage: rollout history <rollout-id>

Prints the rollout's timeline from its event history: what triggered it, each activity (with its summary) and how it
ended, each region's phases, approvals and other operator actions, and the outcome; then the Temporal UI link.

Options:
  -h, --help   show this help

${EXIT_CODES_HELP}

${CONNECTION_HELP}

Example:
  rollout history rollout-main.ml.fraud_detector-v5
`;

function decode<T>(payload: IPayload | null | undefined): T | undefined {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    return undefined;
  }
}

function isPayload(value: object): value is Payload {
  const metadata = (value as { metadata?: unknown }).metadata;
  return (
    !!metadata && typeof metadata === 'object' && (metadata as { encoding?: unknown }).encoding instanceof Uint8Array
  );
}

/**
 * Decodes, in place, every payload in `events` through the client's codecs (with ROLLOUT_CODEC_KEYS set, the
 * history holds ciphertext), so that the timeline can read them with the default converter.
 */
export async function decodeEventPayloads(events: IEvent[], codecs: readonly PayloadCodec[]): Promise<void> {
  if (!codecs.length) return;
  const found: Payload[] = [];
  const visit = (value: unknown): void => {
    if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) return value.forEach(visit);
    if (isPayload(value)) found.push(value);
    else Object.values(value).forEach(visit);
  };
  visit(events);
  let decoded = found;
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  found.forEach((payload, i) => Object.assign(payload, { metadata: decoded[i].metadata, data: decoded[i].data }));
}

function eventTime(event: IEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
}

function offset(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `+${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Turns a rollout's history events into timeline lines. Exported for tests. */
export function timelineLines(events: IEvent[]): string[] {
  const lines: string[] = [];
  const start = events.length ? eventTime(events[0]) : 0;
  const activities = new Map<string, string>();
  const lastPhase = new Map<string, string>();
  // Reasons, names and messages in the history were written by people and workflows: escaped, one line each.
  const add = (event: IEvent, text: string) => lines.push(`${offset(eventTime(event) - start)}  ${terminalLine(text)}`);
  const finished = (event: IEvent, report: RolloutReport | undefined) => {
    add(event, `finished: ${report?.outcome ?? 'completed'}${report?.error ? ` - ${report.error}` : ''}`);
    for (const r of report?.regions ?? [])
      lines.push(terminalLine(`          ${r.region}: ${r.outcome}, new version at ${weightWithRelease(r)}`));
  };
  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const input = decode<RolloutInput>(event.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
        lines.push(`started ${new Date(start).toISOString()}`);
        if (input)
          add(
            event,
            `rollout of ${input.plan.model} v${input.version} to ${input.plan.regions.map((r) => r.name).join(', ')}, triggered by ${input.triggeredBy}`,
          );
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const summary =
          decode<string>(event.userMetadata?.summary) ??
          event.activityTaskScheduledEventAttributes?.activityType?.name ??
          'activity';
        activities.set(String(event.eventId), summary);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        add(
          event,
          `done: ${activities.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId)) ?? 'activity'}`,
        );
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        add(
          event,
          `FAILED: ${activities.get(String(event.activityTaskFailedEventAttributes?.scheduledEventId)) ?? 'activity'}: ${
            event.activityTaskFailedEventAttributes?.failure?.message ?? ''
          }`,
        );
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add(
          event,
          // The parent's restores of promoted regions also take the endpoint's lease, a child of another type.
          `${event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'endpointLeaseWorkflow' ? 'endpoint lease requested' : 'region workflow started'}: ${event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? ''}`,
        );
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        add(
          event,
          `${event.childWorkflowExecutionCompletedEventAttributes?.workflowType?.name === 'endpointLeaseWorkflow' ? 'endpoint lease released' : 'region workflow completed'}: ${event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId ?? ''}`,
        );
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        add(
          event,
          `region workflow failed: ${event.childWorkflowExecutionFailedEventAttributes?.workflowExecution?.workflowId ?? ''}: ${
            event.childWorkflowExecutionFailedEventAttributes?.failure?.cause?.message ??
            event.childWorkflowExecutionFailedEventAttributes?.failure?.message ??
            ''
          }`,
        );
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        add(
          event,
          `region workflow cancelled: ${event.childWorkflowExecutionCanceledEventAttributes?.workflowExecution?.workflowId ?? ''}`,
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const attributes = event.workflowExecutionSignaledEventAttributes;
        const payload = decode<Record<string, unknown>>(attributes?.input?.payloads?.[0]);
        if (attributes?.signalName === 'regionStatus' && payload) {
          const status = payload as unknown as RegionStatus;
          const key = `${status.phase}|${status.stage ?? ''}`;
          if (lastPhase.get(status.region) === key) break;
          lastPhase.set(status.region, key);
          add(
            event,
            `${status.region}: ${status.phase}${status.stage ? ` [${status.stage}]` : ''} (new version at ${status.challengerWeight}%)`,
          );
        } else add(event, `signal ${attributes?.signalName ?? ''}${payload ? ` ${JSON.stringify(payload)}` : ''}`);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
        const args = decode<Record<string, string | undefined>>(request?.args?.payloads?.[0]) ?? {};
        const who = args.approver ?? args.by;
        add(
          event,
          `${request?.name ?? 'update'}${args.region ? ` ${args.region}` : ''}${who ? ` by ${who}` : ''}${args.reason ? `: ${args.reason}` : ''}`,
        );
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        finished(event, decode<RolloutReport>(event.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
        // A rollout that did not succeed fails with its report in the failure's details.
        const failure = event.workflowExecutionFailedEventAttributes?.failure;
        if (isRolloutFailureType(failure?.applicationFailureInfo?.type))
          finished(event, decode<RolloutReport>(failure?.applicationFailureInfo?.details?.payloads?.[0]));
        else add(event, `FAILED: ${failure?.message ?? ''}`);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        add(event, `terminated: ${event.workflowExecutionTerminatedEventAttributes?.reason ?? ''}`);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        add(event, 'cancelled');
        break;
      default:
        break;
    }
  }
  return lines;
}

export const historyCommand: Command = {
  name: 'history',
  summary: 'a readable timeline of a rollout, with the Temporal UI link',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('history', args, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (positionals.length > 1)
      throw new UsageError(`rollout history: give one rollout id, got ${positionals.join(' ')}`);
    checkRolloutId(positionals[0], 'history');
    const session = await connect(io);
    try {
      const handle = await existingRollout(session, positionals[0], 'history');
      const events = (await handle.fetchHistory()).events ?? [];
      await decodeEventPayloads(events, session.client.options.loadedDataConverter.payloadCodecs);
      for (const line of timelineLines(events)) io.out(`${line}\n`);
      const link = uiLink(session, handle.workflowId, io);
      if (link) io.out(`${link}\n`);
      return EXIT.ok;
    } finally {
      await session.close();
    }
  },
};
