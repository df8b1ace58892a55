/**
 * The repository itself: a tracked symlink that points outside the tree is carried by every
 * clone, and `npm ci` in that clone then writes through it (a tracked `node_modules` link once
 * emptied another checkout's dependencies).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '../../..');

/** Tracked symlinks (git mode 120000) with the target git stores for each. */
function trackedSymlinks(): Array<{ path: string; target: string }> {
  const listing = execFileSync('git', ['ls-files', '-s', '-z'], { cwd: root, encoding: 'utf8' });
  const links: Array<{ path: string; target: string }> = [];
  for (const entry of listing.split('\0')) {
    if (!entry.startsWith('120000 ')) continue;
    const [meta, path] = entry.split('\t');
    const blob = meta!.split(' ')[1]!;
    const target = execFileSync('git', ['cat-file', 'blob', blob], { cwd: root, encoding: 'utf8' });
    links.push({ path: path!, target });
  }
  return links;
}

function pointsOutside(path: string, target: string): boolean {
  if (isAbsolute(target)) return true;
  const resolved = resolve(root, path, '..', target);
  const inside = relative(root, resolved);
  return inside.startsWith('..') || isAbsolute(inside);
}

describe('tracked files', () => {
  it('the check itself tells inside from outside', () => {
    assert.equal(pointsOutside('node_modules', '/work/main/node_modules'), true);
    assert.equal(pointsOutside('a/b', '../../../x'), true);
    assert.equal(pointsOutside('a/b', '../c'), false);
    assert.equal(pointsOutside(join('docs', 'x'), 'y'), false);
  });

  it('no tracked symlink points outside the repository', () => {
    const outside = trackedSymlinks().filter((link) => pointsOutside(link.path, link.target));
    assert.deepEqual(outside, [], 'remove these links from the repository (git rm --cached)');
  });

  it('node_modules is not tracked', () => {
    const tracked = execFileSync('git', ['ls-files', '--', 'node_modules'], { cwd: root, encoding: 'utf8' });
    assert.equal(tracked, '');
  });
});
