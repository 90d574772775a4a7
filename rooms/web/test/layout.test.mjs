// Unit tests of the stage's layout arithmetic (src/layout.ts), compiled with esbuild.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle } from './bundle.mjs';

const { galleryPage, pickSpeaker, PAGE_SIZE } = await bundle('layout');

test('galleryPage', async (t) => {
  const cases = [
    { name: 'alone', count: 1, page: 0, want: { pages: 1, page: 0, start: 0, end: 1, cols: 1, rows: 1 } },
    { name: 'two side by side', count: 2, page: 0, want: { pages: 1, page: 0, start: 0, end: 2, cols: 2, rows: 1 } },
    { name: 'five in 3x2', count: 5, page: 0, want: { pages: 1, page: 0, start: 0, end: 5, cols: 3, rows: 2 } },
    { name: 'full page 5x5', count: 25, page: 0, want: { pages: 1, page: 0, start: 0, end: 25, cols: 5, rows: 5 } },
    { name: '26th on page two', count: 26, page: 1, want: { pages: 2, page: 1, start: 25, end: 26, cols: 1, rows: 1 } },
    { name: 'page past the end is clamped', count: 30, page: 7, want: { pages: 2, page: 1, start: 25, end: 30, cols: 3, rows: 2 } },
    { name: 'negative page is clamped', count: 30, page: -3, want: { pages: 2, page: 0, start: 0, end: 25, cols: 5, rows: 5 } },
    { name: 'nobody yet', count: 0, page: 0, want: { pages: 1, page: 0, start: 0, end: 0, cols: 1, rows: 1 } },
    { name: '51 over three pages', count: 51, page: 2, want: { pages: 3, page: 2, start: 50, end: 51, cols: 1, rows: 1 } },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(galleryPage(c.count, c.page), c.want));
  }
  assert.equal(PAGE_SIZE, 25);
});

test('pickSpeaker', async (t) => {
  const cases = [
    { name: 'loudest remote wins', active: ['me', 'b', 'a'], remotes: ['a', 'b'], last: 'a', want: 'b' },
    { name: 'our own voice keeps the last remote', active: ['me'], remotes: ['a', 'b'], last: 'b', want: 'b' },
    { name: 'silence keeps the last remote', active: [], remotes: ['a', 'b'], last: 'b', want: 'b' },
    { name: 'last speaker left: first remote', active: [], remotes: ['a', 'b'], last: 'gone', want: 'a' },
    { name: 'nobody spoke yet: first remote', active: [], remotes: ['a'], last: '', want: 'a' },
    { name: 'alone: ourselves', active: [], remotes: [], last: 'gone', want: 'me' },
    { name: 'departed active speaker ignored', active: ['gone', 'b'], remotes: ['a', 'b'], last: '', want: 'b' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.equal(pickSpeaker(c.active, c.remotes, c.last, 'me'), c.want));
  }
});
