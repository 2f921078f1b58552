/**
 * The container image (Dockerfile) and the Kubernetes examples (examples/deploy/kubernetes) agree with the worker:
 * its memory settings, a non-root user, the health address and paths it serves, the flags it accepts, and a shutdown
 * grace shorter than the pod's. No container engine runs here, so this is what can be checked of them without one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseHealthAddress } from '../src/health';
import { WORKER_RUNTIME } from '../src/worker-runtime';

const ROOT = join(__dirname, '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The final stage's instructions, continuation lines joined. */
const finalStage = dockerfile
  .split(/^FROM /m)
  .at(-1)!
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((line) => line && !line.startsWith('#'));
const instruction = (name: string) =>
  finalStage.filter((line) => line.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
const imageEnv = Object.fromEntries(
  instruction('ENV')
    .join(' ')
    .split(/\s+/)
    .map((pair) => pair.split('=') as [string, string]),
);

interface Container {
  args: string[];
  ports: { containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string } };
  securityContext: { allowPrivilegeEscalation: boolean };
}
interface Deployment {
  spec: {
    template: {
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
      };
    };
  };
}
const examples = ['control.yaml', 'region-eu-west-1.yaml'].map((file) => ({
  file,
  pod: (parse(readFileSync(join(ROOT, 'examples/deploy/kubernetes', file), 'utf8')) as Deployment).spec.template.spec,
}));

describe('the container image', () => {
  it('runs the compiled worker with the worker runtime’s memory settings', () => {
    expect(JSON.parse(instruction('ENTRYPOINT')[0])).toEqual(['node', ...WORKER_RUNTIME.v8Flags, 'lib/worker.js']);
    for (const [name, value] of Object.entries(WORKER_RUNTIME.env)) expect(imageEnv[name]).toBe(value);
  });

  it('runs as a numeric non-root user, and serves health on the port it exposes and checks', () => {
    const [user] = instruction('USER');
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const health = parseHealthAddress(imageEnv.ROLLOUT_HEALTH_ADDRESS);
    expect(instruction('EXPOSE')[0].split(' ')).toEqual([
      String(health.port),
      imageEnv.ROLLOUT_METRICS_ADDRESS.split(':')[1],
    ]);
    expect(instruction('HEALTHCHECK')[0]).toContain(`http://127.0.0.1:${health.port}/livez`);
  });

  it('copies files that exist', () => {
    const sources = dockerfile
      .split('\n')
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(join(ROOT, source))).toBe(true);
  });
});

describe.each(examples)('the Kubernetes example $file', ({ pod }) => {
  const [container] = pod.containers;
  const userOfImage = Number(instruction('USER')[0].split(':')[0]);
  const health = parseHealthAddress(imageEnv.ROLLOUT_HEALTH_ADDRESS);

  it('runs as the image’s non-root user, without privilege escalation', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: userOfImage });
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
  });

  it('probes the paths the worker serves, on its health port', () => {
    expect(container.ports).toContainEqual(expect.objectContaining({ name: 'health', containerPort: health.port }));
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.startupProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/livez');
  });

  it('gives running activities longer than the worker’s 10 s shutdown grace time', () => {
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
  });

  it('passes only flags the worker accepts', () => {
    const known = new Set(['--plan', '--regions', '--no-control']);
    for (const arg of container.args.filter((a) => a.startsWith('--'))) expect(known).toContain(arg);
  });
});
