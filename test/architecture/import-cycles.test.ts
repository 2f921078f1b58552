import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compilerOptionsOf, findImportCycles } from '../support/import-graph';

const root = path.resolve(__dirname, '../..');
const options = compilerOptionsOf(path.join(root, 'tsconfig.json'));

test('src/ has no import cycles, type-only imports included', () => {
  const cycles = findImportCycles(path.join(root, 'src'), options, root);
  const report = cycles.map((cycle) => cycle.join(' -> '));
  // On failure jest prints each cycle; cut one import of each (move a shared type to a module of its own, or
  // depend on a narrow interface instead of the class that imports you).
  expect(report).toEqual([]);
});

describe('the cycle detector', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'import-cycles-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
  };

  test('reports a cycle made only of type-only imports, as a path back to its start', () => {
    write({
      'a.ts': "import type { B } from './b';\nexport interface A { b: B }\n",
      'b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
      'c.ts': "import type { A } from './a';\nexport type C = A;\n",
    });
    expect(findImportCycles(dir, options)).toEqual([['a.ts', 'b.ts', 'a.ts']]);
  });

  test.each([
    ['a type-only re-export', "export type { B } from './b';"],
    ['a re-export of everything', "export * from './b';"],
    ['a dynamic import', "export const load = () => import('./b');"],
    ['a require', "export const b = require('./b');"],
    ['a side-effect import', "import './b';"],
    ['an import of a folder index', "import { B } from './b-folder';\nexport const b: B = 1;"],
  ])('counts %s', (_form, importOfB) => {
    write({
      'a.ts': `${importOfB}\nexport type A = number;\n`,
      'b.ts': "import type { A } from './a';\nexport type B = A;\n",
      'b-folder/index.ts': "export type { B } from '../b';\n",
    });
    const cycles = findImportCycles(dir, options);
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles.every((cycle) => cycle[0] === 'a.ts' && cycle.at(-1) === 'a.ts')).toBe(true);
  });

  test('lists one shortest cycle through each import that closes a loop, with nested folders', () => {
    write({
      'hub.ts': "import { left } from './parts/left';\nimport { right } from './parts/right';\nexport const hub = 1;\n",
      'parts/left.ts': "import type { hub } from '../hub';\nimport { right } from './right';\nexport const left = 1;\n",
      'parts/right.ts': "import { hub } from '../hub';\nexport const right = 1;\n",
    });
    expect(findImportCycles(dir, options).map((cycle) => cycle.join(' -> '))).toEqual([
      'hub.ts -> parts/left.ts -> hub.ts',
      'hub.ts -> parts/left.ts -> parts/right.ts -> hub.ts',
      'hub.ts -> parts/right.ts -> hub.ts',
    ]);
  });

  test('reports no cycle where imports only go one way, and ignores packages and files outside the folder', () => {
    write({
      'a.ts': "import { b } from './b';\nimport { c } from './c';\nimport { z } from 'zod';\nexport const a = b + c;\n",
      'b.ts': "import type { C } from './c';\nexport const b = 1;\n",
      'c.ts': "import { outside } from '../outside';\nexport const c = 2;\nexport type C = number;\n",
    });
    expect(findImportCycles(dir, options)).toEqual([]);
  });

  test('reports a file that imports itself', () => {
    write({ 'self.ts': "import type { Self } from './self';\nexport interface Self { next?: Self }\n" });
    expect(findImportCycles(dir, options)).toEqual([['self.ts', 'self.ts']]);
  });
});
