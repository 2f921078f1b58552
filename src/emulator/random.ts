/**
 * Seeded randomness. Every consumer forks its own stream from (seed, key), so what one region or endpoint draws does
 * not depend on the order of requests elsewhere: the same world and the same requests give the same answers.
 */
import type { Distribution } from './world';

// Math's members as locals: the simulation calls them millions of times, and a global lookup of Math is slow in
// some hosts (jest's vm context makes it ~50x slower).
const { PI, cos, exp, floor, imul, log, max, sqrt } = Math;

/** FNV-1a, 32-bit: a stable hash for stream keys. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mu and sigma of each lognormal distribution object, computed once (sample() is called millions of times). */
const lognormals = new WeakMap<object, { mu: number; sigma: number }>();

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  static stream(seed: number, key: string): Random {
    return new Random(hash32(`${seed}:${key}`));
  }

  /** mulberry32: fast, 2^32 period, good enough for simulation. Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal by Box-Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length)
      out += floor(this.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return out.slice(0, length);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Picks an index with probability proportional to its weight; -1 when every weight is 0. */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((sum, w) => sum + w, 0);
    if (total <= 0) return -1;
    let target = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i];
      if (target < 0 && weights[i] > 0) return i;
    }
    return weights.findLastIndex((w) => w > 0);
  }

  /** Draws milliseconds from a distribution (never negative). */
  sample(distribution: Distribution): number {
    switch (distribution.distribution) {
      case 'constant':
        return distribution.value;
      case 'uniform':
        return distribution.min + this.next() * (distribution.max - distribution.min);
      case 'normal':
        return max(0, distribution.mean + distribution.stddev * this.normal());
      case 'exponential':
        return -distribution.mean * log(1 - this.next());
      case 'lognormal': {
        let parameters = lognormals.get(distribution);
        if (!parameters)
          lognormals.set(distribution, (parameters = lognormalParameters(distribution.median, distribution.p99)));
        return exp(parameters.mu + parameters.sigma * this.normal());
      }
    }
  }
}

/** z for the 99th percentile of the standard normal. */
const Z99 = 2.326347874;

export function lognormalParameters(median: number, p99: number): { mu: number; sigma: number } {
  return { mu: log(median), sigma: log(p99 / median) / Z99 };
}

/** The inverse CDF of a distribution: what its q-quantile is (used by tests of load-generator accuracy). */
export function quantile(distribution: Distribution, q: number): number {
  switch (distribution.distribution) {
    case 'constant':
      return distribution.value;
    case 'uniform':
      return distribution.min + q * (distribution.max - distribution.min);
    case 'normal':
      return max(0, distribution.mean + distribution.stddev * inverseNormal(q));
    case 'exponential':
      return -distribution.mean * log(1 - q);
    case 'lognormal': {
      const { mu, sigma } = lognormalParameters(distribution.median, distribution.p99);
      return exp(mu + sigma * inverseNormal(q));
    }
  }
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormal(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = sqrt(-2 * log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = sqrt(-2 * log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
