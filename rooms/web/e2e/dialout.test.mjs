// End-to-end test of "Invite room system" (dial-out) against real SIP peers: SIPp user
// agent servers on 127.0.0.1 (scenarios in e2e/sipp/) that answer 486 Busy Here, ring
// until cancelled, or answer and wait for the host's BYE. The server must have SIP
// enabled (sip.enabled: true) and say so with ROOMGATE_SIP=1, which
// cmd/roomgate/browser_e2e_test.go sets; without it this file fails, it does not skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, BASE, Browsers, TOKEN, api, eventually, joinUI } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIPP = process.env.SIPP || '/usr/bin/sipp';
const browsers = new Browsers();
const T = { timeout: 120000 };
let id = '';
let host;
const sipps = [];

const card = (callId) => host.locator(`[data-testid="call-card"][data-call-id="${callId}"]`);
const attr = (loc, name) => loc.getAttribute(name, { timeout: 1000 }).catch(() => null);

/** freeUDPPort asks the kernel for a free even UDP port on 127.0.0.1 (odd+1 for SIPp's RTCP). */
async function freeUDPPort() {
  for (;;) {
    const s = dgram.createSocket('udp4');
    await new Promise((res, rej) => s.once('error', rej).bind(0, '127.0.0.1', res));
    const p = s.address().port;
    await new Promise((res) => s.close(res));
    if (p % 2 === 0 && p < 65000) return p;
  }
}

/** udpBound tells whether something listens on 127.0.0.1:port (read from /proc/net/udp). */
function udpBound(port) {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs.readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === hex);
}

/**
 * startSipp runs one SIPp UAS for one call and resolves when it listens. done resolves
 * with its exit code and the SIP messages it traced (what it received and sent).
 */
async function startSipp(name, scenario, extra = []) {
  const port = await freeUDPPort();
  const mport = await freeUDPPort();
  const msgFile = path.join(ARTIFACTS, `sipp-${name}-messages.log`);
  const errFile = path.join(ARTIFACTS, `sipp-${name}-errors.log`);
  const out = fs.createWriteStream(path.join(ARTIFACTS, `sipp-${name}.out`));
  for (const f of [msgFile, errFile]) fs.rmSync(f, { force: true });
  const args = ['-sf', path.join(here, 'sipp', scenario), '-i', '127.0.0.1', '-p', String(port),
    '-mi', '127.0.0.1', '-mp', String(mport), '-m', '1', '-nostdin', '-timeout', '30',
    '-trace_msg', '-message_file', msgFile, '-trace_err', '-error_file', errFile, ...extra];
  const proc = spawn(SIPP, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(out, { end: false });
  proc.stderr.pipe(out, { end: false });
  const done = new Promise((res) => proc.on('close', (code, signal) => res({ code, signal })))
    .then(async (r) => (await new Promise((res) => out.end(res)), r))
    .then((r) => ({ ...r, messages: fs.existsSync(msgFile) ? fs.readFileSync(msgFile, 'utf8') : '' }));
  const s = { name, port, proc, done, exited: false };
  done.then(() => (s.exited = true));
  sipps.push(s);
  await eventually(`sipp ${name} listening on 127.0.0.1:${port}`, () => s.exited ? Promise.reject(new Error('sipp exited')) : udpBound(port), { timeout: 10000, every: 100 });
  return s;
}

/** finished waits for SIPp's exit and checks its scenario ran to the end (exit code 0). */
async function finished(s) {
  const r = await Promise.race([s.done, new Promise((res) => setTimeout(() => res(null), 40000))]);
  assert.ok(r, `sipp ${s.name} did not exit within 40 s`);
  assert.equal(r.code, 0, `sipp ${s.name} exit code ${r.code} (signal ${r.signal}): scenario not completed, see ${ARTIFACTS}/sipp-${s.name}*`);
  return r.messages;
}

/** received lists the request lines / status lines SIPp logged as received. */
function received(messages) {
  return messages.split(/\n(?=-{5,})/).filter((b) => /message received/.test(b))
    .map((b) => b.split('\n').map((l) => l.trim()).find((l) => /^[A-Z]+ sip:|^SIP\/2\.0 /.test(l)) || '');
}

/** invite fills the dialog and submits it; returns the Call of the 202 answer. */
async function invite(address, name) {
  await host.getByTestId('invite-open').click();
  await host.getByTestId('invite-address').fill(address);
  await host.getByTestId('invite-name').fill(name);
  const resp = host.waitForResponse((r) => r.url().endsWith(`/api/v1/meetings/${id}/dialout`) && r.request().method() === 'POST');
  await host.getByTestId('invite-submit').click();
  const r = await resp;
  const call = await r.json();
  assert.equal(r.status(), 202, JSON.stringify(call));
  assert.equal(r.request().headers().authorization, `Bearer ${await host.evaluate(() => window.__rg.state.session)}`, 'dials with the host session');
  await host.getByTestId('invite-dialog').waitFor({ state: 'detached', timeout: 5000 });
  return call;
}

/** statesUntil polls a card's data-state until want and returns the states seen in order; another final state fails. */
async function statesUntil(callId, want, timeout = 30000) {
  const seen = [];
  let label = '';
  await eventually(`call card ${callId} in state ${want}`, async () => {
    const st = await attr(card(callId), 'data-state');
    if (st && seen.at(-1) !== st) {
      seen.push(st);
      label = await card(callId).getByTestId('call-label').textContent().catch(() => '');
    }
    return st === want || ['busy', 'declined', 'no_answer', 'failed', 'ended', 'lost'].includes(st);
  }, { timeout, every: 100 });
  assert.equal(seen.at(-1), want, `call card ended in "${label}", states ${seen.join(' -> ')}`);
  return seen;
}

before(async () => {
  assert.equal(process.env.ROOMGATE_SIP, '1',
    'dial-out e2e needs a server with sip.enabled: true and ROOMGATE_SIP=1 in the environment (cmd/roomgate/browser_e2e_test.go sets both)');
  assert.ok(fs.existsSync(SIPP), `${SIPP} missing: apt-get install sip-tester (make test does)`);
  assert.ok(TOKEN, 'ROOMGATE_TOKEN must hold the operator token');
  await eventually('GET /healthz 200', async () => (await fetch(`${BASE}/healthz`)).status === 200, { timeout: 60000 });
  const m = await api('POST', '/meetings', { body: { topic: 'dial-out' } });
  assert.equal(m.status, 201, JSON.stringify(m.data));
  id = m.data.id;
  host = await browsers.launch('dial-host');
  await host.goto(`${BASE}/`);
  await host.evaluate(([k, v]) => localStorage.setItem(k, v), [`rg.hostKey.${id}`, m.data.host_key]);
  assert.equal((await joinUI(host, id, 'Dora Host')).status(), 200);
  await eventually('host connected', async () => (await host.getByTestId('connection-state').textContent()) === 'connected');
  await eventually('host role', async () => (await host.getByTestId('role-state').textContent()) === 'host');
});

after(async () => {
  for (const s of sipps) if (!s.exited) s.proc.kill('SIGKILL');
  await browsers.closeAll();
});

test('only the host sees "Invite room system"', T, async () => {
  await host.getByTestId('invite-open').waitFor({ state: 'visible', timeout: 10000 });
  const guest = await browsers.launch('dial-guest');
  assert.equal((await joinUI(guest, id, 'Gus Guest')).status(), 200);
  await eventually('guest connected', async () => (await guest.getByTestId('connection-state').textContent()) === 'connected');
  assert.equal(await guest.getByTestId('role-state').textContent(), 'participant');
  assert.equal(await guest.getByTestId('invite-open').isVisible(), false, 'a participant has no invite button');
  await guest.getByTestId('leave-btn').click();
  await guest.getByTestId('ended-message').waitFor({ timeout: 10000 });
});

test('the dialog checks the address and offers H.323 as coming soon', T, async () => {
  await host.getByTestId('invite-open').click();
  const h323 = host.locator('[data-testid="invite-protocol"] option[value="h323"]');
  assert.equal(await h323.isDisabled(), true);
  assert.match(await h323.textContent(), /coming soon/);
  let posted = 0;
  const count = (r) => r.url().includes('/dialout') && posted++;
  host.on('request', count);
  for (const bad of ['', 'sip:room @host', 'room@host:70000']) {
    await host.getByTestId('invite-address').fill(bad);
    await host.getByTestId('invite-submit').click();
    await eventually(`error for ${JSON.stringify(bad)}`, async () => (await host.getByTestId('invite-error').textContent()) !== '');
  }
  host.off('request', count);
  assert.equal(posted, 0, 'invalid addresses are not sent');
  await host.screenshot({ path: path.join(ARTIFACTS, 'dialout-dialog.png') });
  await host.getByTestId('invite-close').click();
  await host.getByTestId('invite-dialog').waitFor({ state: 'detached' });
});

test('busy room system: the card ends in "Busy (486)"', T, async () => {
  const sipp = await startSipp('busy', 'uas_busy.xml');
  // user@host:port: the server adds the sip: scheme
  const call = await invite(`room@127.0.0.1:${sipp.port}`, 'Busy Room');
  assert.equal(call.state, 'calling');
  assert.equal(call.address, `sip:room@127.0.0.1:${sipp.port}`);
  const c = card(call.id);
  await c.waitFor({ timeout: 5000 });
  assert.equal(await c.getByTestId('call-name').textContent(), 'Busy Room');
  const seen = await statesUntil(call.id, 'busy');
  const final = Date.now();
  assert.equal(await c.getByTestId('call-label').textContent(), 'Busy (486)');
  assert.equal(await attr(c, 'data-status'), '486');
  assert.equal(await c.getByTestId('call-cancel').count(), 0, 'no Cancel on a finished call');
  const srv = await api('GET', `/calls/${call.id}`);
  assert.deepEqual([srv.data.state, srv.data.status], ['busy', 486], JSON.stringify(srv.data));
  const msgs = received(await finished(sipp));
  assert.deepEqual(msgs.map((l) => l.split(' ')[0]), ['INVITE', 'ACK'], `SIPp received ${msgs}`);
  // the finished card stays a few seconds, then goes
  await c.waitFor({ state: 'detached', timeout: 20000 });
  const kept = Date.now() - final;
  assert.ok(kept >= 5000, `finished card kept ${kept} ms`);
  console.log(`busy: card states ${seen.join(' -> ')}, final card kept ${kept} ms`);
});

test('ringing room system: Cancel sends CANCEL and the card ends', T, async () => {
  const sipp = await startSipp('cancel', 'uas_ring_cancel.xml');
  const call = await invite(`sip:room@127.0.0.1:${sipp.port}`, 'Ringing Room');
  const c = card(call.id);
  const seen = await statesUntil(call.id, 'ringing');
  assert.equal(await c.getByTestId('call-label').textContent(), 'Ringing…');
  await host.screenshot({ path: path.join(ARTIFACTS, 'dialout-ringing.png') });
  const t0 = Date.now();
  await c.getByTestId('call-cancel').click();
  // the room system sees CANCEL (and the ACK of its 487) ...
  const msgs = received(await finished(sipp));
  assert.deepEqual(msgs.map((l) => l.split(' ')[0]), ['INVITE', 'CANCEL', 'ACK'], `SIPp received ${msgs}`);
  // ... and the card ends as cancelled, not failed
  await statesUntil(call.id, 'ended', 15000);
  const ms = Date.now() - t0;
  assert.equal(await c.getByTestId('call-label').textContent(), 'Cancelled');
  const srv = await api('GET', `/calls/${call.id}`);
  assert.equal(srv.data.state, 'ended', JSON.stringify(srv.data));
  console.log(`cancel: card states ${seen.join(' -> ')} -> ended, ${ms} ms from click to "Cancelled"`);
});

test('answering room system: SIP badge in tile and panel, Hang up sends BYE', T, async () => {
  const sipp = await startSipp('answer', 'uas_answer.xml', ['-rtp_echo', '-aa']);
  const call = await invite(`sip:boardroom@127.0.0.1:${sipp.port}`, 'Board Room');
  const c = card(call.id);
  await statesUntil(call.id, 'connected');
  assert.equal(await c.getByTestId('call-label').textContent(), 'Connected');
  const srv = await api('GET', `/calls/${call.id}`);
  const ident = srv.data.identity;
  assert.ok(ident, `connected call names its participant: ${JSON.stringify(srv.data)}`);

  const tile = host.locator(`[data-testid="tile"][data-identity="${ident}"]`);
  await tile.waitFor({ timeout: 15000 });
  assert.equal(await tile.getAttribute('data-kind'), 'sip');
  const badge = tile.getByTestId('tile-kind');
  assert.equal(await badge.isVisible(), true, 'SIP badge visible on the tile');
  assert.equal(await badge.textContent(), 'SIP');
  await host.getByTestId('participants-btn').click();
  const row = host.locator(`[data-testid="participant"][data-identity="${ident}"]`);
  await row.waitFor({ timeout: 10000 });
  assert.equal(await row.getByTestId('p-kind').isVisible(), true, 'SIP badge visible in the panel');
  assert.equal(await row.getByTestId('p-kind').textContent(), 'SIP');
  await host.screenshot({ path: path.join(ARTIFACTS, 'dialout-connected.png') });
  const api2 = await api('GET', `/meetings/${id}/participants`);
  assert.equal(api2.data.participants.find((p) => p.identity === ident)?.kind, 'sip');

  // The operators' live-calls page lists the call with its stats.
  const op = await browsers.launch('operator');
  await op.goto(`${BASE}/operator/calls`);
  await op.getByTestId('token-input').fill(TOKEN);
  await op.getByTestId('token-save').click();
  const live = op.locator(`[data-testid="live-call"][data-call-id="${call.id}"]`);
  await live.waitFor({ timeout: 15000 });
  assert.equal(await live.getAttribute('data-state'), 'connected');
  assert.equal(await live.getByTestId('call-call').textContent(), 'SIP dial-out connected');
  assert.equal(await live.getByTestId('call-meeting').textContent(), id);
  await eventually('live-calls page shows received packets', async () =>
    /^[1-9][0-9]* packets/.test(await live.getByTestId('call-received').textContent()), { timeout: 15000 });
  await op.screenshot({ path: path.join(ARTIFACTS, 'live-calls.png') });

  await c.getByTestId('call-hangup').click();
  await statesUntil(call.id, 'ended', 15000);
  assert.equal(await c.getByTestId('call-label').textContent(), 'Ended');
  // INFO (picture_fast_update) is answered by -aa outside the scenario
  const msgs = received(await finished(sipp)).filter((l) => !l.startsWith('INFO '));
  assert.deepEqual(msgs.map((l) => l.split(' ')[0]), ['INVITE', 'ACK', 'BYE'], `SIPp received ${msgs}`);
  await live.waitFor({ state: 'detached', timeout: 15000 });
  assert.equal(await op.getByTestId('live-calls-status').textContent(), 'No room-system call in progress.');
  const t0 = Date.now();
  await tile.waitFor({ state: 'detached', timeout: 40000 });
  console.log(`hang up: room-system tile gone ${Date.now() - t0} ms after the call ended`);
  await host.getByTestId('participants-btn').click();
});
