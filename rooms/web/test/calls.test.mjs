// Unit tests of src/calls.ts: call card labels, final states, actions, address checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle } from './bundle.mjs';

const { callAction, callLabel, checkAddress, isFinal } = await bundle('calls');

test('callLabel', async (t) => {
  const cases = [
    { name: 'calling', c: { state: 'calling' }, want: 'Calling…' },
    { name: 'ringing', c: { state: 'ringing' }, want: 'Ringing…' },
    { name: 'connected', c: { state: 'connected', status: 200 }, want: 'Connected' },
    { name: 'busy with status', c: { state: 'busy', status: 486, reason: 'Busy Here' }, want: 'Busy (486)' },
    { name: 'busy 600', c: { state: 'busy', status: 600 }, want: 'Busy (600)' },
    { name: 'busy without status', c: { state: 'busy' }, want: 'Busy' },
    { name: 'declined', c: { state: 'declined', status: 603, reason: 'Decline' }, want: 'Declined (603)' },
    { name: 'no answer', c: { state: 'no_answer', status: 408 }, want: 'No answer' },
    { name: 'failed with status and reason', c: { state: 'failed', status: 404, reason: 'Not Found' }, want: 'Failed (404 Not Found)' },
    { name: 'failed with reason only', c: { state: 'failed', reason: 'no route' }, want: 'Failed (no route)' },
    { name: 'failed bare', c: { state: 'failed' }, want: 'Failed' },
    { name: 'ended after cancel', c: { state: 'ended', status: 487, reason: 'cancelled' }, want: 'Cancelled' },
    { name: 'ended after a call', c: { state: 'ended', status: 200, reason: 'bye' }, want: 'Ended' },
    { name: 'unknown state shown as is', c: { state: 'parked' }, want: 'parked' },
  ];
  for (const c of cases) await t.test(c.name, () => assert.equal(callLabel(c.c), c.want));
});

test('isFinal and callAction', async (t) => {
  const cases = [
    ['calling', false, 'cancel'],
    ['ringing', false, 'cancel'],
    ['connected', false, 'hangup'],
    ['busy', true, ''],
    ['declined', true, ''],
    ['no_answer', true, ''],
    ['failed', true, ''],
    ['ended', true, ''],
  ];
  for (const [state, final, action] of cases) {
    await t.test(state, () => {
      assert.equal(isFinal(state), final);
      assert.equal(callAction(state), action);
    });
  }
});

test('checkAddress', async (t) => {
  const ok = [
    'sip:room@127.0.0.1:5070',
    'sips:room@example.com',
    'room@host.example.com:5060',
    'room@10.0.0.5',
    'example.com',
    'sip:room@[2001:db8::1]:5060',
    'sip:room@host;transport=tcp',
    '  sip:room@host  ',
  ];
  for (const a of ok) await t.test(`ok ${a.trim()}`, () => assert.equal(checkAddress('sip', a), ''));
  const bad = [
    { name: 'empty', a: '   ', want: /Enter/ },
    { name: 'space inside', a: 'sip:room @host', want: /spaces/ },
    { name: 'angle brackets', a: '<sip:room@host>', want: /angle/ },
    { name: 'empty user', a: 'sip:@host', want: /user part/ },
    { name: 'empty host', a: 'room@', want: /not a host/ },
    { name: 'bad host', a: 'room@ho_st', want: /not a host/ },
    { name: 'port zero', a: 'room@host:0', want: /out of range/ },
    { name: 'port too big', a: 'room@host:70000', want: /out of range/ },
    { name: 'h323 not yet', a: 'room@host', protocol: 'h323', want: /Only SIP/ },
  ];
  for (const c of bad) await t.test(`bad ${c.name}`, () => assert.match(checkAddress(c.protocol || 'sip', c.a), c.want));
});
