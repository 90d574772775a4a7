// Unit tests of the pure helpers of src/state.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle } from './bundle.mjs';

const { byJoin, deviceLabel, kindLabel, micLocked, newState, parseJSON } = await bundle('state');

const p = (identity, name, secs, metadata = '') => ({ identity, name, metadata, joinedAt: secs === undefined ? undefined : new Date(secs * 1000) });

test('byJoin', async (t) => {
  const cases = [
    { name: 'earlier first', list: [p('b', 'B', 2), p('a', 'A', 1)], want: ['a', 'b'] },
    { name: 'same second: by name, numbers numerically', list: [p('x', 'Bot 10', 5), p('y', 'Bot 2', 5), p('z', 'Bot 1', 5)], want: ['z', 'y', 'x'] },
    { name: 'same name: by identity', list: [p('web-2', 'Sam', 5), p('web-1', 'Sam', 5)], want: ['web-1', 'web-2'] },
    { name: 'unknown join time first', list: [p('a', 'A', 9), p('b', 'B')], want: ['b', 'a'] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual([...c.list].sort(byJoin).map((x) => x.identity), c.want));
  }
});

test('kindLabel', async (t) => {
  for (const [kind, want] of [['sip', 'SIP'], ['h323', 'H.323'], ['web', ''], [undefined, '']]) {
    await t.test(`${kind}`, () => assert.equal(kindLabel({ kind }), want));
  }
});

test('micLocked', async (t) => {
  const cases = [
    { name: 'not muted by host', s: { mic: 'muted', mutedByHost: false, meta: { allow_self_unmute: false } }, want: false },
    { name: 'muted by host, self-unmute allowed', s: { mic: 'muted', mutedByHost: true, meta: { allow_self_unmute: true } }, want: false },
    { name: 'muted by host, self-unmute refused in metadata', s: { mic: 'muted', mutedByHost: true, meta: { allow_self_unmute: false } }, want: true },
    { name: 'message overrides metadata', s: { mic: 'muted', mutedByHost: true, selfUnmute: false, meta: { allow_self_unmute: true } }, want: true },
    { name: 'asked to unmute', s: { mic: 'muted', mutedByHost: true, selfUnmute: true, meta: { allow_self_unmute: false } }, want: false },
    { name: 'unmuted mic is never locked', s: { mic: 'unmuted', mutedByHost: true, meta: { allow_self_unmute: false } }, want: false },
    { name: 'no metadata yet', s: { mic: 'muted', mutedByHost: true, meta: {} }, want: false },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.equal(micLocked({ ...newState(), ...c.s }), c.want));
  }
});

test('parseJSON', async (t) => {
  const cases = [
    { name: 'object', in: '{"host":"web-1","locked":true}', want: { host: 'web-1', locked: true } },
    { name: 'empty', in: '', want: {} },
    { name: 'undefined', in: undefined, want: {} },
    { name: 'garbage', in: '{nope', want: {} },
    { name: 'not an object', in: '42', want: {} },
    { name: 'null', in: 'null', want: {} },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(parseJSON(c.in), c.want));
  }
});

test('deviceLabel', async (t) => {
  const cases = [
    [{ vendor: 'Polycom', product: 'Polycom HDX 8000 HD', version: 'Release 3.1.0' }, 'Polycom HDX 8000 HD Release 3.1.0'],
    [{ vendor: 'Polycom', product: 'VSX 7000', version: '8.5' }, 'Polycom VSX 7000 8.5'],
    [{ vendor: 'Tandberg', product: 'TANDBERG 6000 MXP' }, 'TANDBERG 6000 MXP'],
    [{ product: 'Callgen323' }, 'Callgen323'],
    [{}, ''],
  ];
  for (const [meta, want] of cases) {
    await t.test(want || 'empty', () => assert.equal(deviceLabel(meta), want));
  }
});
