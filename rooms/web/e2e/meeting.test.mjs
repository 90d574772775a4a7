// End-to-end test of the web UI against a running roomgate server (ROOMGATE_URL,
// ROOMGATE_TOKEN, ARTIFACTS_DIR), with headless Chromium participants (fake devices).
// The tests run in order and share the meeting created in the first one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, BASE, Browsers, TOKEN, api, eventually, identity, joinUI, mediaStats } from './browser.mjs';

const browsers = new Browsers();
const T = { timeout: 180000 };
let meetingId = '';
let host; // page of the meeting's host (joined with the host key)
let guest; // page of a guest
let hostId = '';
let guestId = '';
let newcomer; // a third browser for the refusal and waiting-room tests

before(async () => {
  assert.ok(TOKEN, 'ROOMGATE_TOKEN must hold the operator token');
  await eventually('GET /healthz 200', async () => (await fetch(`${BASE}/healthz`)).status === 200, { timeout: 60000 });
});

after(() => browsers.closeAll());

/** connected waits until the page's meeting core connection is up. */
async function connected(page) {
  await eventually('meeting connected', async () => (await page.getByTestId('connection-state').textContent().catch(() => '')) === 'connected', { timeout: 30000 });
}

async function grows(what, read, { timeout = 30000 } = {}) {
  const first = await eventually(`${what} > 0`, read, { timeout });
  const second = await eventually(`${what} growing past ${first}`, async () => {
    const v = await read();
    return v > first ? v : 0;
  }, { timeout });
  return [first, second];
}

test('two participants join and decode each other', T, async () => {
  host = await browsers.launch('host');
  await host.goto(`${BASE}/`);
  await host.getByTestId('token-input').fill(TOKEN);
  await host.getByTestId('create-instant').click();
  const inv = host.getByTestId('invitation');
  await inv.waitFor({ state: 'visible', timeout: 15000 });
  meetingId = (await host.getByTestId('invite-id').textContent()).trim();
  assert.match(meetingId, /^[0-9]{9,11}$/);
  const sip = await host.getByTestId('invite-sip').textContent();
  assert.ok(sip.includes(meetingId), `SIP dial strings ${sip} name the meeting`);
  // Only the enabled legs are shown: the suite's server has SIP on and H.323 off.
  assert.equal(await host.getByTestId('invite-h323').count(), 0, 'no H.323 dial strings while H.323 is off');
  assert.ok(!(await host.getByTestId('invite-text').textContent()).includes('H.323'), 'the invitation text names no H.323 leg');
  const hostKey = await host.evaluate((id) => localStorage.getItem(`rg.hostKey.${id}`), meetingId);
  assert.ok(hostKey, 'the creator keeps the host key');

  await host.getByTestId('start-meeting').click();
  await host.getByTestId('prejoin-name').fill('Hana Host');
  const hostJoin = host.waitForResponse((r) => r.url().endsWith(`/meetings/${meetingId}/join`));
  await host.getByTestId('prejoin-join').click();
  assert.equal((await hostJoin).status(), 200);
  await connected(host);
  await eventually('host role', async () => (await host.getByTestId('role-state').textContent()) === 'host');
  hostId = await identity(host);

  // the guest comes through the home screen's "join by ID", typing the ID with spaces
  guest = await browsers.launch('guest');
  await guest.goto(`${BASE}/`);
  await guest.getByTestId('join-id-input').fill(meetingId.replace(/^(\d{3})(\d{3})/, '$1 $2 '));
  await guest.getByTestId('join-name-input').fill('Gus Guest');
  await guest.getByTestId('join-btn').click();
  await guest.waitForURL(`${BASE}/m/${meetingId}`);
  assert.equal(await guest.getByTestId('prejoin-name').inputValue(), 'Gus Guest', 'the name carries over');
  const gjr = guest.waitForResponse((r) => r.url().endsWith(`/meetings/${meetingId}/join`));
  await guest.getByTestId('prejoin-join').click();
  const gj = await gjr;
  assert.equal(gj.status(), 200);
  await connected(guest);
  guestId = await identity(guest);
  assert.notEqual(guestId, hostId);
  assert.equal(await guest.getByTestId('role-state').textContent(), 'participant');

  await host.locator(`[data-testid="tile"][data-identity="${guestId}"]`).waitFor({ timeout: 30000 });
  await guest.locator(`[data-testid="tile"][data-identity="${hostId}"]`).waitFor({ timeout: 30000 });
  for (const page of [host, guest]) {
    await eventually('device lists', async () =>
      (await page.getByTestId('mic-select').locator('option').count()) > 0 &&
      (await page.getByTestId('cam-select').locator('option').count()) > 0);
  }
  await eventually('both mics published', async () =>
    (await host.getByTestId('mic-state').textContent()) === 'unmuted' &&
    (await guest.getByTestId('mic-state').textContent()) === 'unmuted');

  for (const [me, page, other] of [['host', host, guestId], ['guest', guest, hostId]]) {
    const frames = await grows(`${me} decoding ${other}'s video`, async () => (await mediaStats(page))[other]?.framesDecoded || 0);
    const audio = await grows(`${me} receiving ${other}'s audio`, async () => (await mediaStats(page))[other]?.audioPackets || 0);
    // energy is measured where audio is played out: the fake microphone's beeps are heard
    await grows(`${me} hearing ${other}`, async () => (await mediaStats(page))[other]?.audioEnergy || 0);
    assert.equal(await page.getByTestId('enable-audio').isVisible(), false, 'audio playback is not blocked');
    const s = (await mediaStats(page))[other];
    assert.match(s.videoCodec, /H264/i, `${me} receives H.264 (room systems consume H.264)`);
    console.log(`# ${me}: framesDecoded ${frames.join('→')}, audio packets ${audio.join('→')}, energy ${s.audioEnergy.toFixed(4)}, ${s.videoCodec}`);
  }

  await host.locator(`[data-testid="tile"][data-identity="${guestId}"][data-video="on"]`).waitFor({ timeout: 15000 });
  await host.screenshot({ path: path.join(ARTIFACTS, 'gallery.png') });
  assert.equal(await host.getByTestId('grid').locator('[data-testid="tile"]').count(), 2, 'gallery shows both tiles');
  await host.getByTestId('view-toggle').click();
  await host.locator(`[data-testid="stage-big"] [data-testid="tile"][data-identity="${guestId}"]`).waitFor({ timeout: 10000 });
  await host.locator(`[data-testid="strip"] [data-testid="tile"][data-identity="${hostId}"]`).waitFor({ timeout: 10000 });
  await host.screenshot({ path: path.join(ARTIFACTS, 'speaker.png') });
  await host.getByTestId('view-toggle').click();
  await host.getByTestId('grid').locator('[data-testid="tile"]').nth(1).waitFor({ timeout: 10000 });
});

test('host mutes the guest', T, async () => {
  assert.ok(host && guest, 'needs the meeting of the first test');
  await host.getByTestId('participants-btn').click();
  const row = host.locator(`[data-testid="participant"][data-identity="${guestId}"]`);
  await row.getByTestId('p-mute').click();
  await eventually('guest UI shows muted', async () => (await guest.getByTestId('mic-state').textContent()) === 'muted', { timeout: 15000 });
  await row.and(host.locator('[data-audio="muted"]')).waitFor({ timeout: 15000 });
  const p = await eventually('server reports the guest muted', async () => {
    const r = await api('GET', `/meetings/${meetingId}/participants`);
    assert.equal(r.status, 200, JSON.stringify(r.data));
    const g = r.data.participants.find((x) => x.identity === guestId);
    return g && g.audio_muted === true ? g : null;
  }, { timeout: 15000 });
  assert.equal(p.kind, 'web');
  const hostRow = (await api('GET', `/meetings/${meetingId}/participants`)).data.participants.find((x) => x.identity === hostId);
  assert.equal(hostRow.audio_muted, false, 'the host is still unmuted');
  assert.equal(hostRow.host, true);
});

test('wrong password is refused', T, async () => {
  // schedule the meeting through the home screen: the invitation carries both passwords
  newcomer = await browsers.launch('newcomer');
  await newcomer.goto(`${BASE}/`);
  await newcomer.getByTestId('token-input').fill(TOKEN);
  await newcomer.getByTestId('topic-input').fill('pw test');
  await newcomer.getByTestId('password-input').fill('secret42');
  await newcomer.getByTestId('start-input').fill('2031-05-04T10:30');
  await newcomer.getByTestId('duration-input').fill('45');
  await newcomer.getByTestId('schedule-btn').click();
  await newcomer.getByTestId('invitation').waitFor({ state: 'visible', timeout: 15000 });
  const id = (await newcomer.getByTestId('invite-id').textContent()).trim();
  assert.equal(await newcomer.getByTestId('invite-password').textContent(), 'secret42');
  const hw = await newcomer.getByTestId('invite-hw-password').textContent();
  assert.match(hw, /^[0-9]{6}$/, 'hardware password is six digits');
  assert.ok((await newcomer.getByTestId('invite-sip').textContent()).includes(`${id}.${hw}`), 'SIP dial string with the hardware password');
  const full = await api('GET', `/meetings/${id}`);
  assert.equal(full.data.topic, 'pw test');
  assert.equal(full.data.duration_minutes, 45);
  assert.ok(full.data.start_time, 'start time stored');
  const pub = await api('GET', `/meetings/${id}`, { auth: '' });
  assert.equal(pub.data.has_password, true);
  // from here on this browser is a guest: forget the host key the creation left and
  // the operator token (an operator signed in on the home page joins as host)
  await newcomer.evaluate((id) => {
    localStorage.removeItem(`rg.hostKey.${id}`);
    localStorage.removeItem('rg.operatorToken');
  }, id);
  await newcomer.goto(`${BASE}/m/${id}`);
  await newcomer.getByTestId('prejoin-password').waitFor({ state: 'visible' });
  const r = await joinUI(newcomer, id, 'Nora New', 'wrong-one');
  assert.equal(r.status(), 401);
  await eventually('wrong password message', async () => /wrong meeting password/i.test(await newcomer.getByTestId('join-error').textContent()));
  assert.equal(await newcomer.getByTestId('meeting').count(), 0, 'no meeting screen after a refusal');
  // with mute on entry the right password gets in with a published but muted microphone
  const patched = await api('PATCH', `/meetings/${id}`, { body: { settings: { mute_on_entry: true } } });
  assert.equal(patched.status, 200, JSON.stringify(patched.data));
  const ok = await joinUI(newcomer, id, 'Nora New', 'secret42');
  assert.equal(ok.status(), 200, 'the right password gets in');
  await connected(newcomer);
  const mic = await eventually('microphone published', () => newcomer.evaluate(() => {
    const pub = window.__rg.room.localParticipant.getTrackPublication('microphone');
    return pub && pub.track ? { muted: pub.isMuted } : null;
  }));
  assert.equal(mic.muted, true, 'mute on entry');
  assert.equal(await newcomer.getByTestId('mic-state').textContent(), 'muted');
  assert.equal(await newcomer.getByTestId('mic-btn').isDisabled(), false, 'the participant may unmute');
  await newcomer.getByTestId('mic-btn').click();
  await eventually('unmuted by the participant', async () => (await newcomer.getByTestId('mic-state').textContent()) === 'unmuted');
  const nid = await identity(newcomer);
  await eventually('server sees the microphone open', async () =>
    (await api('GET', `/meetings/${id}/participants`)).data.participants.find((p) => p.identity === nid)?.audio_muted === false);
  await newcomer.getByTestId('leave-btn').click();
  await newcomer.getByTestId('ended-message').waitFor({ timeout: 15000 });
  assert.equal(await newcomer.getByTestId('ended-message').getAttribute('data-reason'), 'left');
});

test('locked meeting refuses a newcomer', T, async () => {
  assert.ok(host && newcomer, 'needs the earlier tests');
  await host.getByTestId('lock-toggle').check();
  await host.getByTestId('locked-badge').waitFor({ timeout: 15000 });
  const m = await api('GET', `/meetings/${meetingId}`);
  assert.equal(m.data.settings.locked, true);
  const r = await joinUI(newcomer, meetingId, 'Nora New');
  assert.equal(r.status(), 403);
  await eventually('locked message', async () => /locked/i.test(await newcomer.getByTestId('join-error').textContent()));
  await host.getByTestId('lock-toggle').uncheck();
  await host.getByTestId('locked-badge').waitFor({ state: 'detached', timeout: 15000 });
});

test('waiting room: the host denies, then admits a newcomer', T, async () => {
  assert.ok(host && newcomer, 'needs the earlier tests');
  await host.getByTestId('waiting-room-toggle').check();
  await eventually('waiting room on', async () => (await api('GET', `/meetings/${meetingId}`)).data.settings.waiting_room === true, { timeout: 15000 });
  const r = await joinUI(newcomer, meetingId, 'Wanda Waiting');
  assert.equal(r.status(), 202);
  await newcomer.getByTestId('waiting-message').waitFor({ timeout: 10000 });
  assert.equal(await newcomer.getByTestId('waiting-message').textContent(), 'Waiting for the host to let you in');
  // first refused from the waiting list in the panel
  const entry = host.locator('[data-testid="waiting-entry"]', { hasText: 'Wanda Waiting' });
  await entry.waitFor({ timeout: 15000 });
  await entry.getByTestId('deny').click();
  await newcomer.getByTestId('ended-message').waitFor({ timeout: 15000 });
  assert.match(await newcomer.getByTestId('ended-message').textContent(), /did not let you in/);
  await entry.waitFor({ state: 'detached', timeout: 15000 });

  // then admitted from the notice shown while the panel is closed
  await host.getByTestId('participants-btn').click();
  assert.equal((await joinUI(newcomer, meetingId, 'Wanda Waiting')).status(), 202);
  await newcomer.getByTestId('waiting-message').waitFor({ timeout: 10000 });
  const notice = host.getByTestId('waiting-notice');
  await notice.filter({ hasText: 'Wanda Waiting is waiting' }).waitFor({ timeout: 15000 });
  await notice.getByTestId('notice-admit').click();
  await connected(newcomer);
  await notice.waitFor({ state: 'hidden', timeout: 15000 });
  await host.getByTestId('participants-btn').click();
  const wid = await identity(newcomer);
  await host.locator(`[data-testid="tile"][data-identity="${wid}"]`).waitFor({ timeout: 30000 });
  await newcomer.locator(`[data-testid="tile"][data-identity="${hostId}"]`).waitFor({ timeout: 30000 });
});

test('host ends the meeting for all', T, async () => {
  assert.ok(host && guest && newcomer, 'needs the earlier tests');
  await host.getByTestId('end-all-btn').click();
  await host.getByTestId('confirm-end').click();
  for (const page of [host, guest, newcomer]) {
    await page.getByTestId('ended-message').waitFor({ timeout: 20000 });
    assert.match(await page.getByTestId('ended-message').textContent(), /ended/i);
  }
});
