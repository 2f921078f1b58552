/**
 * The shape of workflow code: each workflow function reads as the story on one screen, its steps live in modules
 * of their own, and no function or file grows into a closure that every helper can reach into.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { functionSizes } from '../support/function-sizes';

const WORKFLOWS = path.resolve(__dirname, '../../src/workflows');
const files = readdirSync(WORKFLOWS, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts'))
  .sort();
const read = (name: string) => readFileSync(path.join(WORKFLOWS, name), 'utf8');

const STORY_MAX_LINES = 80;
const FUNCTION_MAX_LINES = 100;
const FILE_MAX_LINES = 300;

test.each([
  ['region/workflow.ts', 'regionRolloutWorkflow'],
  ['rollout/workflow.ts', 'rolloutWorkflow'],
])(`%s: %s and its story are each under ${STORY_MAX_LINES} lines`, (file, workflow) => {
  const sizes = functionSizes(file, read(file));
  expect(sizes.map((s) => s.name)).toContain(workflow);
  const tooLong = sizes.filter((s) => s.lines >= STORY_MAX_LINES);
  expect(tooLong).toEqual([]);
});

test(`no function in src/workflows is over ${FUNCTION_MAX_LINES} lines, arrows and nested closures included`, () => {
  const tooLong = files.flatMap((file) =>
    functionSizes(file, read(file))
      .filter((s) => s.lines > FUNCTION_MAX_LINES)
      .map((s) => `${file}:${s.line} ${s.name} (${s.lines} lines)`),
  );
  expect(tooLong).toEqual([]);
});

test(`no file in src/workflows is over ${FILE_MAX_LINES} lines`, () => {
  const tooLong = files
    .map((file) => ({ file, lines: read(file).split('\n').length }))
    .filter(({ lines }) => lines > FILE_MAX_LINES);
  expect(tooLong).toEqual([]);
});

describe('functionSizes', () => {
  const source = [
    'export async function outer() {', // 1
    '  const inner = async () => {', // 2
    '    return 1;', // 3
    '  };', // 4
    '  return { method() { return inner(); } };', // 5
    '}', // 6
    'export const arrow = (x: number) => x + 1;', // 7
  ].join('\n');

  test('measures declarations, arrows and methods, nested ones on their own', () => {
    expect(functionSizes('example.ts', source)).toEqual([
      { name: 'outer', line: 1, lines: 6 },
      { name: 'inner', line: 2, lines: 3 },
      { name: 'method', line: 5, lines: 1 },
      { name: 'arrow', line: 7, lines: 1 },
    ]);
  });

  test('finds a function over the limit', () => {
    const long = `function long() {\n${'  step();\n'.repeat(FUNCTION_MAX_LINES)}}\n`;
    expect(functionSizes('long.ts', long)).toEqual([{ name: 'long', line: 1, lines: FUNCTION_MAX_LINES + 2 }]);
  });
});
