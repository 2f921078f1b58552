/**
 * Import cycles among the TypeScript files of a folder. Every module reference counts, type-only ones included:
 * `import type` and `export type ... from` are erased at run time, but a cycle through them still ties the modules
 * together for whoever has to understand, test or split them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The compiler options of a tsconfig file, so that specifiers resolve as `tsc` resolves them. */
export function compilerOptionsOf(tsconfigPath: string): ts.CompilerOptions {
  const { config, error } = ts.readConfigFile(tsconfigPath, (file) => ts.sys.readFile(file));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(tsconfigPath)).options;
}

function sourceFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|tsx|mts|cts)$/.test(name) && !/\.d\.[mc]?ts$/.test(name))
    .map((name) => path.resolve(dir, name))
    .sort();
}

/** For each file under `dir`, the files under `dir` it references: static, type-only, re-export, `import()`, `require`. */
export function importGraph(dir: string, options: ts.CompilerOptions): Map<string, string[]> {
  const files = sourceFilesUnder(dir);
  const inside = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName: specifier } of importedFiles) {
      const resolved = ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule?.resolvedFileName;
      const target = resolved && path.resolve(resolved);
      if (target && inside.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components; recursion depth is bounded by the number of files. */
function stronglyConnectedComponents(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}

/** A shortest path from `from` to `to` through `allowed` nodes (breadth first, neighbours in sorted order). */
function shortestPath(graph: Map<string, string[]>, from: string, to: string, allowed: Set<string>): string[] {
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  for (let head = 0; head < queue.length && !previous.has(to); head++)
    for (const next of graph.get(queue[head]) ?? [])
      if (allowed.has(next) && !previous.has(next)) {
        previous.set(next, queue[head]);
        queue.push(next);
      }
  const route = [to];
  while (route[0] !== from) route.unshift(previous.get(route[0])!);
  return route;
}

/**
 * The import cycles among the files under `dir`, each as a path that ends where it starts (`a.ts -> b.ts -> a.ts`),
 * relative to `relativeTo`. Every import inside a strongly connected component lies on a cycle; one shortest cycle
 * through each such import is listed, so the list shows every import that could be cut, without enumerating every
 * cycle (which grows exponentially).
 */
export function findImportCycles(dir: string, options: ts.CompilerOptions, relativeTo = dir): string[][] {
  const graph = importGraph(dir, options);
  const cycles = new Map<string, string[]>();
  for (const component of stronglyConnectedComponents(graph)) {
    const members = new Set(component);
    for (const from of [...component].sort())
      for (const to of graph.get(from)!.filter((target) => members.has(target))) {
        const cycle = [from, ...shortestPath(graph, to, from, members)];
        // Start each cycle at its first file in sorted order, so the same cycle found from two imports is listed once.
        const body = cycle.slice(0, -1);
        const start = body.indexOf([...body].sort()[0]);
        const rotated = [...body.slice(start), ...body.slice(0, start), body[start]];
        const relative = rotated.map((file) => path.relative(relativeTo, file).split(path.sep).join('/'));
        cycles.set(relative.join(' -> '), relative);
      }
  }
  return [...cycles.keys()].sort().map((key) => cycles.get(key)!);
}
