/**
 * Two checks over src/, by the TypeScript compiler's syntax tree (comments and strings are
 * not code, so they never trip it):
 *
 * - The clock port (src/time): outside the real clock and the composition roots, no module
 *   reads the wall clock or a timer of the runtime itself; it takes a Clock. That is what
 *   lets the simulator run the node's own code on virtual time.
 * - The pure folders (consensus, state, commitment, chain, client): besides the clock rule,
 *   no randomness and no imports of I/O (files, sockets, storage, libp2p, HTTP): they are
 *   deterministic functions of their inputs.
 *
 * Each check is also fed a small offending source, so a check that silently stopped
 * finding anything fails too.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../../..');

/**
 * Where reading the runtime's clock or timers directly is allowed, and why. Prefixes
 * ending in '/' cover a folder.
 */
const CLOCK_ALLOWED: Record<string, string> = {
  'src/time/system.ts': 'the real clock: the one implementation of the port',
  'src/cli/': 'command-line programs are composition roots: they create the real clock and hand it down',
  'src/genesis/create.ts':
    "a new genesis document starts 'now' unless told otherwise (its creator's wall clock)",
};

const PURE_FOLDERS = ['src/consensus/', 'src/state/', 'src/commitment/', 'src/chain/', 'src/client/'];

/** Modules that do I/O (or hold it): none of them may be imported by a pure folder. */
const IO_MODULE =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|dns|tls|child_process|worker_threads|cluster|timers|timers\/promises)$|^lmdb$|^libp2p$|^@libp2p\/|^@chainsafe\/libp2p|^express$|^ws$/;

/** Global timer functions: a module schedules through its Clock instead. */
const TIMER_GLOBALS = new Set(['setTimeout', 'setInterval', 'setImmediate']);

interface Finding {
  line: number;
  what: string;
}

function parse(fileName: string, text: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** `a.b` as text when both sides are plain identifiers (`globalThis.x.y` handled by the caller). */
function dotted(node: ts.PropertyAccessExpression): string | undefined {
  const left = node.expression;
  if (ts.isIdentifier(left)) return `${left.text}.${node.name.text}`;
  if (ts.isPropertyAccessExpression(left)) {
    const inner = dotted(left);
    return inner === undefined ? undefined : `${inner}.${node.name.text}`;
  }
  return undefined;
}

/** An identifier that names a binding in scope (not a property name or member declaration). */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent)) &&
    parent.name === id
  )
    return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return false;
  return true;
}

/** Every direct use of the runtime's clock or timers in one source file. */
function clockFindings(fileName: string, text: string): Finding[] {
  const source = parse(fileName, text);
  const found: Finding[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, what });
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const name = dotted(node)?.replace(/^(globalThis|global|window)\./, '');
      if (name === 'Date.now' || name === 'performance.now' || name === 'process.hrtime') at(node, name);
      else if (name !== undefined && TIMER_GLOBALS.has(name) && name !== dotted(node)) at(node, name);
    } else if (ts.isIdentifier(node) && TIMER_GLOBALS.has(node.text) && isReference(node)) {
      at(node, node.text);
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Date'
    ) {
      if (!node.arguments || node.arguments.length === 0) at(node, 'new Date()');
    } else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Date'
    ) {
      at(node, 'Date()');
    } else if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const from = node.moduleSpecifier.text;
      if (/^(node:)?timers(\/promises)?$/.test(from)) at(node, `import from '${from}'`);
      const named = node.importClause?.namedBindings;
      if (/^(node:)?perf_hooks$/.test(from) && named && ts.isNamedImports(named))
        for (const element of named.elements)
          if ((element.propertyName ?? element.name).text === 'performance')
            at(element, "perf_hooks' performance");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Randomness and I/O imports in one source file (the pure folders' rule beside the clock's). */
function purityFindings(fileName: string, text: string): Finding[] {
  const source = parse(fileName, text);
  const found: Finding[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, what });
  const importOf = (node: ts.Node, from: string) => {
    if (IO_MODULE.test(from)) at(node, `import of '${from}'`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const name = dotted(node)?.replace(/^(globalThis|global|window)\./, '');
      if (name === 'Math.random' || name === 'crypto.getRandomValues' || name === 'crypto.randomUUID')
        at(node, name);
    } else if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      importOf(node, node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      importOf(node, node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...clockFindings(fileName, text), ...found];
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

const report = (findings: Array<Finding & { file: string }>) =>
  findings.map((f) => `  ${f.file}:${f.line} ${f.what}`).join('\n');

describe('repo: the clock port and the pure folders', () => {
  it('no module outside the real clock and the composition roots reads the clock or sets a timer itself', async () => {
    const files = await sourceFiles(join(ROOT, 'src'));
    assert.ok(files.length > 100, `only ${files.length} source files found under src/`);
    for (const entry of Object.keys(CLOCK_ALLOWED))
      assert.ok(
        files.some((f) => (entry.endsWith('/') ? f.startsWith(entry) : f === entry)),
        `the allow-list names ${entry}, which no longer exists: drop it`,
      );
    const findings: Array<Finding & { file: string }> = [];
    for (const file of files) {
      if (
        Object.keys(CLOCK_ALLOWED).some((entry) =>
          entry.endsWith('/') ? file.startsWith(entry) : file === entry,
        )
      )
        continue;
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const f of clockFindings(file, text)) findings.push({ file, ...f });
    }
    assert.equal(
      findings.length,
      0,
      `these read the runtime's clock or timers directly; take a Clock (src/time) instead:\n${report(findings)}`,
    );
  });

  it('the pure folders use no timers, clock, randomness or I/O modules', async () => {
    const findings: Array<Finding & { file: string }> = [];
    let scanned = 0;
    for (const folder of PURE_FOLDERS) {
      const files = await sourceFiles(join(ROOT, folder));
      assert.ok(files.length > 0, `no source files in ${folder}`);
      for (const file of files) {
        scanned++;
        const text = await readFile(join(ROOT, file), 'utf8');
        for (const f of purityFindings(file, text)) findings.push({ file, ...f });
      }
    }
    assert.ok(scanned >= 20, `only ${scanned} files in the pure folders`);
    assert.equal(
      findings.length,
      0,
      `the pure folders must stay deterministic and free of I/O:\n${report(findings)}`,
    );
  });

  it('the clock check finds each kind of direct use, by line, and nothing in comments, strings or the port', () => {
    const offending = [
      'const a = Date.now();',
      'setTimeout(() => {}, 10);',
      'const b = new Date();',
      'const c = performance.now();',
      'const d = process.hrtime.bigint();',
      'setImmediate(() => {});',
      'globalThis.setInterval(() => {}, 5);',
      "import { setTimeout as wait } from 'node:timers/promises';",
      "import { performance as p } from 'node:perf_hooks';",
      'const run = { later: setTimeout };',
      'const e = Date();',
    ].join('\n');
    assert.deepEqual(
      clockFindings('offending.ts', offending).map((f) => `${f.line} ${f.what}`),
      [
        '1 Date.now',
        '2 setTimeout',
        '3 new Date()',
        '4 performance.now',
        '5 process.hrtime',
        '6 setImmediate',
        '7 setInterval',
        "8 import from 'node:timers/promises'",
        "9 perf_hooks' performance",
        '10 setTimeout',
        '11 Date()',
      ],
    );
    const clean = [
      '// Date.now() and setTimeout(f, 1) in a comment',
      "const s = 'performance.now() in a string';",
      'const t = new Date(1_700_000_000_000);',
      'clock.setTimeout(() => {}, 10);',
      'const port = { setTimeout(fire: () => void) { return fire; }, setInterval: 1 };',
      'interface P { setImmediate(fire: () => void): void; nowMs(): number }',
      "import { monitorEventLoopDelay } from 'node:perf_hooks';",
      'queueMicrotask(() => {});',
    ].join('\n');
    assert.deepEqual(clockFindings('clean.ts', clean), []);
  });

  it('the purity check finds randomness and I/O imports, and the clock rule too', () => {
    const offending = [
      "import { open } from 'lmdb';",
      "import { readFile } from 'node:fs/promises';",
      "import type { Libp2p } from '@libp2p/interface';",
      "export { x } from 'express';",
      "const net = await import('node:net');",
      'const r = Math.random();',
      'const t = Date.now();',
    ].join('\n');
    assert.deepEqual(
      purityFindings('offending.ts', offending)
        .map((f) => `${f.line} ${f.what}`)
        .sort(),
      [
        "1 import of 'lmdb'",
        "2 import of 'node:fs/promises'",
        "3 import of '@libp2p/interface'",
        "4 import of 'express'",
        "5 import of 'node:net'",
        '6 Math.random',
        '7 Date.now',
      ],
    );
    const clean = [
      "import { keccak256 } from '../crypto/hash.js';",
      "import type { Clock } from '../time/index.js';",
      "// import { open } from 'lmdb'; Math.random()",
      'const r = rng.random();',
    ].join('\n');
    assert.deepEqual(purityFindings('clean.ts', clean), []);
  });
});
