/**
 * Injected faults, from the world file or the admin API: storms of 429/5xx, dropped and hung connections, failing or
 * silently reverted config updates, stalled replication, degraded model versions. Each is bounded by a count, a
 * duration, or lasts until removed.
 */
import { Random } from './random';
import type { Distribution, FaultSpec } from './world';

export type RequestScope = 'management' | 'invocations';

export interface ActiveFault {
  id: string;
  spec: FaultSpec;
  createdAt: number;
  remaining?: number;
  expiresAt?: number;
}

export interface VersionAdjustment {
  errorRate?: number;
  extraLatency?: Distribution;
  latencyFactor?: number;
}

export class FaultRegistry {
  private readonly faults: ActiveFault[] = [];
  private counter = 0;
  private readonly rng: Random;

  constructor(
    seed: number,
    private readonly hooks: {
      onAdd(fault: ActiveFault, now: number): void;
      onRemove(fault: ActiveFault, now: number): void;
    },
  ) {
    this.rng = Random.stream(seed, 'faults');
  }

  add(spec: FaultSpec, now: number): ActiveFault {
    const fault: ActiveFault = {
      id: `fault-${++this.counter}`,
      spec,
      createdAt: now,
      remaining: 'count' in spec ? spec.count : undefined,
      expiresAt: 'duration' in spec && spec.duration !== undefined ? now + spec.duration : undefined,
    };
    this.faults.push(fault);
    this.hooks.onAdd(fault, now);
    return fault;
  }

  list(now: number): ActiveFault[] {
    this.prune(now);
    return [...this.faults];
  }

  remove(id: string, now: number): boolean {
    const index = this.faults.findIndex((f) => f.id === id);
    if (index < 0) return false;
    const [fault] = this.faults.splice(index, 1);
    this.hooks.onRemove(fault, now);
    return true;
  }

  clear(region: string | undefined, now: number) {
    for (const fault of [...this.faults])
      if (!region || ('region' in fault.spec && fault.spec.region === region)) this.remove(fault.id, now);
  }

  private prune(now: number) {
    for (const fault of [...this.faults])
      if ((fault.expiresAt !== undefined && now >= fault.expiresAt) || fault.remaining === 0)
        this.remove(fault.id, now);
  }

  /** Consumes one use of a counted fault. */
  private use(fault: ActiveFault, now: number) {
    if (fault.remaining !== undefined) {
      fault.remaining--;
      if (fault.remaining <= 0) this.remove(fault.id, now);
    }
  }

  /** The storm, drop or hang that applies to a request, if any (consuming one of its uses). */
  forRequest(region: string, scope: RequestScope, now: number): FaultSpec | undefined {
    this.prune(now);
    for (const fault of this.faults) {
      const spec = fault.spec;
      if (spec.kind !== 'storm' && spec.kind !== 'drop_connections' && spec.kind !== 'hang_connections') continue;
      if (spec.region !== region || (spec.scope !== 'all' && spec.scope !== scope)) continue;
      if (spec.probability < 1 && this.rng.next() >= spec.probability) continue;
      this.use(fault, now);
      return spec;
    }
    return undefined;
  }

  /** Whether the next config update of an endpoint fails or silently reverts. */
  forConfigUpdate(region: string, endpoint: string, now: number): FaultSpec | undefined {
    this.prune(now);
    const fault = this.faults.find(
      (f) =>
        (f.spec.kind === 'fail_config_updates' || f.spec.kind === 'silent_revert') &&
        f.spec.region === region &&
        (f.spec.endpoint === undefined || f.spec.endpoint === endpoint),
    );
    if (!fault) return undefined;
    this.use(fault, now);
    return fault.spec;
  }

  /** How a model version (by its primary full name) is degraded when served in a region. */
  versionAdjustment(region: string, model: string, version: number, now: number): VersionAdjustment {
    this.prune(now);
    const adjustment: VersionAdjustment = {};
    for (const { spec } of this.faults) {
      if (spec.kind !== 'degrade_version' || spec.model !== model || spec.version !== version) continue;
      if (spec.region !== undefined && spec.region !== region) continue;
      if (spec.error_rate !== undefined) adjustment.errorRate = spec.error_rate;
      if (spec.extra_latency !== undefined) adjustment.extraLatency = spec.extra_latency;
      if (spec.latency_factor !== undefined) adjustment.latencyFactor = spec.latency_factor;
    }
    return adjustment;
  }
}
