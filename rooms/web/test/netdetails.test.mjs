// Unit tests of the network details view's content (src/netdetails.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundle } from './bundle.mjs';

const { networkRows } = await bundle('netdetails');

const t0 = { packets: 0, lost: 0, jitter_ms: 0 };
const base = {
  profile: 'internet', advertised: '203.0.113.7', latch: 'any', trust_signalled: false,
  signalling: { signalled: '10.1.0.2:5060', observed: '198.51.100.4:5060' },
  alg_suspected: true, alg_reason: 'contact carry the signalling source', behind_nat: false,
  media: {
    video: { signalled: '10.1.0.2:4002', observed: '', latched: false, sending_to: '198.51.100.4:4002', dropped: 0, rx: t0, tx: t0 },
    audio: { signalled: '10.1.0.2:4000', observed: '198.51.100.4:4000', latched: true, sending_to: '198.51.100.4:4000', dropped: 3, rx: t0, tx: t0 },
  },
  rx: { packets: 500, lost: 2, jitter_ms: 3.25 }, tx: { packets: 480, lost: 0, jitter_ms: 0 },
};

test('networkRows', () => {
  const rows = Object.fromEntries(networkRows(base));
  assert.equal(rows.Profile, 'internet (advertised 203.0.113.7, latch any, signalled addresses ignored)');
  assert.equal(rows.Signalling, 'signalled 10.1.0.2:5060, observed 198.51.100.4:5060');
  assert.equal(rows.ALG, 'suspected: contact carry the signalling source');
  assert.equal(rows.Audio, 'signalled 10.1.0.2:4000, latched to 198.51.100.4:4000, sending to 198.51.100.4:4000, 3 foreign packets dropped');
  assert.equal(rows.Video, 'signalled 10.1.0.2:4002, not latched, sending to 198.51.100.4:4002');
  assert.equal(rows.Content, undefined);
  assert.equal(rows.Received, '500 packets, 2 lost, jitter 3.3 ms');
  assert.deepEqual(networkRows(base).map(([k]) => k), ['Profile', 'Signalling', 'ALG', 'Audio', 'Video', 'Received', 'Sent']);
});

test('networkRows without ALG', () => {
  const rows = Object.fromEntries(networkRows({ ...base, alg_suspected: false, alg_reason: undefined, behind_nat: true, trust_signalled: true,
    signalling: { signalled: '', observed: '198.51.100.4:5060' } }));
  assert.equal(rows.ALG, 'none seen (behind NAT)');
  assert.equal(rows.Profile, 'internet (advertised 203.0.113.7, latch any)');
  assert.equal(rows.Signalling, 'signalled –, observed 198.51.100.4:5060');
});
