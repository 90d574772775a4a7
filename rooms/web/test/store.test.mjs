// Unit tests of the host link's key handling (src/store.ts): what the pre-join page
// takes as a host key, and how the #host= fragment is consumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle } from './bundle.mjs';

const { hostKeyFrom, takeHostLink, store } = await bundle('store');

const KEY = 'q8Zp0tYw3xV-4m_2LkJhGfDsAeRtYuIoPlMnBvCxZ0a'; // 43 base64url characters, as the gateway makes them

test('hostKeyFrom takes a key or a whole host link, nothing else', () => {
  const cases = [
    [KEY, KEY],
    [`  ${KEY}\n`, KEY],
    [`https://meet.example.net/m/123456789#host=${KEY}`, KEY],
    [`/m/123456789#host=${KEY}&x=1`, KEY],
    ['', ''],
    ['not a key', ''],
    ['short', ''],
    [`https://meet.example.net/m/123456789#guest=${KEY}`, ''],
    [`https://meet.example.net/m/123456789`, ''], // a guest link: the digits are no key
    ['A'.repeat(129), ''],
    [`${KEY}<script>`, ''],
    [`#host=${encodeURIComponent('abc def ghi jkl mno pq')}`, ''],
  ];
  for (const [input, want] of cases) assert.equal(hostKeyFrom(input), want, JSON.stringify(input));
});

/** page fakes the browser globals takeHostLink uses. */
function page(href) {
  const u = new URL(href);
  const saved = new Map();
  const replaced = [];
  globalThis.location = { hash: u.hash, pathname: u.pathname, search: u.search };
  globalThis.history = { state: null, replaceState: (_s, _t, url) => replaced.push(url) };
  globalThis.localStorage = {
    getItem: (k) => (saved.has(k) ? saved.get(k) : null),
    setItem: (k, v) => saved.set(k, String(v)),
    removeItem: (k) => saved.delete(k),
  };
  return { replaced, saved };
}

test('takeHostLink keeps the key and removes the fragment', () => {
  const { replaced } = page(`https://meet.example.net/m/123456789?lang=en#host=${KEY}`);
  takeHostLink('123456789');
  assert.deepEqual(replaced, ['/m/123456789?lang=en']);
  assert.equal(store.hostKey('123456789'), KEY);
});

test('takeHostLink removes a malformed key without keeping it', () => {
  const { replaced, saved } = page('https://meet.example.net/m/123456789#host=%3Cscript%3E');
  takeHostLink('123456789');
  assert.deepEqual(replaced, ['/m/123456789']);
  assert.equal(saved.size, 0);
});

test('takeHostLink leaves other fragments and plain links alone', () => {
  for (const href of ['https://meet.example.net/m/123456789', 'https://meet.example.net/m/123456789#chat']) {
    const { replaced, saved } = page(href);
    takeHostLink('123456789');
    assert.deepEqual(replaced, [], href);
    assert.equal(saved.size, 0, href);
  }
});
