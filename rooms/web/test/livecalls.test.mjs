// Unit tests of the live-calls page's content (src/livecalls.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle } from './bundle.mjs';

const { callSummary, duration } = await bundle('livecalls');

const now = Date.parse('2026-12-07T15:00:00Z');

test('duration', () => {
  assert.equal(duration('2026-12-07T14:59:55Z', now), '0:05');
  assert.equal(duration('2026-12-07T13:58:59Z', now), '1:01:01');
  assert.equal(duration(undefined, now), '–');
  assert.equal(duration('2026-12-07T15:00:10Z', now), '0:00', 'a clock ahead of the browser does not go negative');
});

test('callSummary', () => {
  const c = {
    id: 'c-1', meeting_id: '123456789', direction: 'in', protocol: 'h323', address: '127.0.0.2:1720',
    display_name: 'Board room', state: 'connected', vendor: 'Polycom', product: 'HDX 8000', codecs: ['G722', 'H264'],
    started_at: '2026-12-07T14:58:00Z', answered_at: '2026-12-07T14:58:30Z',
  };
  const rows = Object.fromEntries(callSummary(c, now));
  assert.equal(rows.Call, 'H.323 dial-in connected');
  assert.equal(rows['Room system'], 'Board room — Polycom HDX 8000 (127.0.0.2:1720)');
  assert.equal(rows['Connected for'], '1:30');
  assert.equal(rows.Codecs, 'G722, H264');
  const ringing = Object.fromEntries(callSummary({ ...c, protocol: 'sip', direction: 'out', state: 'ringing', meeting_id: '',
    answered_at: undefined, vendor: undefined, codecs: [] }, now));
  assert.equal(ringing.Call, 'SIP dial-out ringing');
  assert.equal(ringing.Meeting, '(in the IVR)');
  assert.equal(ringing['Connected for'], 'not answered (2:00)');
  assert.equal(ringing['Room system'], 'Board room (127.0.0.2:1720)');
  assert.equal(ringing.Codecs, '–');
});
