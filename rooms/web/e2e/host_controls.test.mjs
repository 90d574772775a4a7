// End-to-end test of the host controls: ask to unmute, mute all without self-unmute,
// stop video, rename, screen share, make host / reclaim, leave with a successor and
// remove. Same environment as meeting.test.mjs; this file makes its own meeting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, BASE, Browsers, TOKEN, api, eventually, framesOf, identity, joinUI } from './browser.mjs';

const browsers = new Browsers();
const T = { timeout: 120000 };
let id = '';
let host;
let guest;
let hostId = '';
let guestId = '';

const text = (page, testid) => page.getByTestId(testid).textContent().catch(() => '');
const row = (ident) => host.locator(`[data-testid="participant"][data-identity="${ident}"]`);

async function connected(page) {
  await eventually('meeting connected', async () => (await text(page, 'connection-state')) === 'connected', { timeout: 30000 });
}

async function serverParticipant(ident) {
  const r = await api('GET', `/meetings/${id}/participants`);
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data.participants.find((p) => p.identity === ident);
}

before(async () => {
  assert.ok(TOKEN, 'ROOMGATE_TOKEN must hold the operator token');
  await eventually('GET /healthz 200', async () => (await fetch(`${BASE}/healthz`)).status === 200, { timeout: 60000 });
  const m = await api('POST', '/meetings', { body: { topic: 'host controls' } });
  assert.equal(m.status, 201, JSON.stringify(m.data));
  id = m.data.id;

  host = await browsers.launch('ctl-host');
  await host.goto(`${BASE}/`);
  await host.evaluate(([k, v]) => localStorage.setItem(k, v), [`rg.hostKey.${id}`, m.data.host_key]);
  assert.equal((await joinUI(host, id, 'Ada Host')).status(), 200);
  await connected(host);
  hostId = await identity(host);
  guest = await browsers.launch('ctl-guest');
  assert.equal((await joinUI(guest, id, 'Bo Guest')).status(), 200);
  await connected(guest);
  guestId = await identity(guest);
  await eventually('guest mic on', async () => (await text(guest, 'mic-state')) === 'unmuted');
  await host.getByTestId('participants-btn').click();
  await row(guestId).waitFor({ timeout: 15000 });
});

after(() => browsers.closeAll());

test('ask to unmute: the guest consents through the banner', T, async () => {
  await row(guestId).getByTestId('p-mute').click();
  await eventually('guest muted', async () => (await text(guest, 'mic-state')) === 'muted', { timeout: 15000 });
  assert.equal(await guest.getByTestId('mic-btn').isDisabled(), false, 'self-unmute is allowed by default');
  await row(guestId).getByTestId('p-ask-unmute').click();
  await guest.getByTestId('banner-unmute').waitFor({ timeout: 15000 });
  assert.equal(await text(guest, 'mic-state'), 'muted', 'asking does not open the microphone');
  await guest.getByTestId('banner-unmute').click();
  await eventually('guest unmuted', async () => (await text(guest, 'mic-state')) === 'unmuted', { timeout: 15000 });
  await guest.getByTestId('banner').waitFor({ state: 'hidden' });
  await eventually('server sees the guest unmuted', async () => (await serverParticipant(guestId))?.audio_muted === false, { timeout: 15000 });
});

test('mute all without self-unmute disables the guest mic', T, async () => {
  await host.getByTestId('allow-self-unmute').uncheck();
  await host.getByTestId('mute-all').click();
  await eventually('guest muted', async () => (await text(guest, 'mic-state')) === 'muted', { timeout: 15000 });
  await eventually('mic button disabled', () => guest.getByTestId('mic-btn').isDisabled(), { timeout: 15000 });
  assert.match(await guest.getByTestId('mic-btn').getAttribute('title'), /does not allow/);
  assert.equal(await text(host, 'mic-state'), 'unmuted', 'mute all spares the host');
  const m = await api('GET', `/meetings/${id}`);
  assert.equal(m.data.settings.allow_self_unmute, false);
  await eventually('server sees the guest muted', async () => (await serverParticipant(guestId))?.audio_muted === true);
  await host.screenshot({ path: path.join(ARTIFACTS, 'participants.png') });

  await host.getByTestId('unmute-all').click();
  await guest.getByTestId('banner-unmute').waitFor({ timeout: 15000 });
  await guest.getByTestId('banner-unmute').click();
  await eventually('guest unmuted again', async () => (await text(guest, 'mic-state')) === 'unmuted', { timeout: 15000 });
  await eventually('server sees the guest unmuted', async () => (await serverParticipant(guestId))?.audio_muted === false, { timeout: 15000 });
});

test('stop video and rename', T, async () => {
  await row(guestId).getByTestId('p-stop-video').click();
  await eventually('guest camera off', async () => (await text(guest, 'cam-state')) === 'off', { timeout: 15000 });
  await host.locator(`[data-testid="tile"][data-identity="${guestId}"][data-video="off"]`).waitFor({ timeout: 15000 });
  await guest.getByTestId('cam-btn').click();
  await eventually('guest camera on again', async () => (await text(guest, 'cam-state')) === 'on', { timeout: 15000 });

  await row(guestId).getByTestId('p-rename').click();
  await host.getByTestId('rename-input').fill('Bo Renamed');
  await host.getByTestId('rename-ok').click();
  await host.locator(`[data-testid="tile"][data-identity="${guestId}"] [data-testid="tile-name"]`, { hasText: 'Bo Renamed' }).waitFor({ timeout: 15000 });
  await guest.locator(`[data-testid="tile"][data-identity="${guestId}"] [data-testid="tile-name"]`, { hasText: 'Bo Renamed' }).waitFor({ timeout: 15000 });
  assert.equal((await serverParticipant(guestId)).name, 'Bo Renamed');
});

test('a screen share takes the large tile', T, async () => {
  await guest.getByTestId('share-btn').click();
  await eventually('guest sharing', async () => (await guest.getByTestId('share-btn').getAttribute('data-state')) === 'sharing', { timeout: 20000 });
  await host.locator(`[data-testid="stage-big"] [data-testid="tile-screen"][data-identity="${guestId}"]`).waitFor({ timeout: 20000 });
  await eventually('server sees the share', async () => (await serverParticipant(guestId))?.screen_sharing === true);
  const first = await eventually('host decodes the share', () => framesOf(host, guestId, 'screen_share'), { timeout: 20000 });
  await eventually('share frames growing', async () => (await framesOf(host, guestId, 'screen_share')) > first, { timeout: 20000 });
  await host.screenshot({ path: path.join(ARTIFACTS, 'screenshare.png') });
  await guest.getByTestId('share-btn').click();
  await host.locator('[data-testid="tile-screen"]').waitFor({ state: 'detached', timeout: 20000 });
});

test('gallery pages beyond 25 tiles', T, async () => {
  // 25 extra participants without media, joined from the guest's page through the
  // REST API and LiveKit (the Room class is the one the app uses), not subscribing
  const bots = await guest.evaluate(async ([id, n]) => {
    const Room = window.__rg.room.constructor;
    window.__bots = [];
    const ids = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`/api/v1/meetings/${id}/join`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: `Bot ${i + 1}` }) });
      const j = await res.json();
      if (res.status !== 200) throw new Error(`join ${i}: ${res.status} ${JSON.stringify(j)}`);
      const r = new Room();
      await r.connect(j.livekit_url || location.origin.replace(/^http/, 'ws'), j.token, { autoSubscribe: false, rtcConfig: { iceServers: [] } });
      window.__bots.push(r);
      ids.push(j.identity);
    }
    return ids;
  }, [id, 25]);
  assert.equal(bots.length, 25);
  try {
    await eventually('host sees 27 participants', async () => (await text(host, 'participants-btn')).startsWith('Participants (27)'), { timeout: 60000 });
    await eventually('two pages', async () => (await text(host, 'page-info')) === '1 / 2', { timeout: 15000 });
    const grid = host.getByTestId('grid').locator('[data-testid="tile"]');
    assert.equal(await grid.count(), 25, 'a full first page');
    assert.equal(await host.getByTestId('page-prev').isDisabled(), true);
    await host.screenshot({ path: path.join(ARTIFACTS, 'gallery-25.png') });
    await host.getByTestId('page-next').click();
    await eventually('page two', async () => (await text(host, 'page-info')) === '2 / 2');
    assert.equal(await grid.count(), 2, 'the rest on page two');
    assert.equal(await host.getByTestId('page-next').isDisabled(), true);
    await host.getByTestId('page-prev').click();
    await eventually('back on page one', async () => (await grid.count()) === 25);

    // speaker view: one large tile, every other participant in the scrolling strip
    await host.getByTestId('view-toggle').click();
    await eventually('strip of 26', async () => (await host.getByTestId('strip').locator('[data-testid="tile"]').count()) === 26);
    assert.equal(await host.getByTestId('stage-big').locator('[data-testid="tile"]').count(), 1);
    const strip = await host.getByTestId('strip').evaluate((el) => ({ scroll: el.scrollWidth, width: el.clientWidth, thumb: el.firstElementChild.getBoundingClientRect().width }));
    assert.ok(strip.scroll > strip.width, 'the strip scrolls horizontally');
    assert.ok(Math.abs(strip.thumb * 4 - strip.width) < strip.width * 0.1, `four thumbnails fill the strip (${JSON.stringify(strip)})`);
    await host.getByTestId('view-toggle').click();
  } finally {
    await guest.evaluate(() => Promise.all(window.__bots.map((r) => r.disconnect())));
  }
  await eventually('bots gone', async () => (await text(host, 'participants-btn')).startsWith('Participants (2)'), { timeout: 30000 });
});

test('make host, then reclaim it with the host key', T, async () => {
  await row(guestId).getByTestId('p-make-host').click();
  await eventually('guest is host', async () => (await text(guest, 'role-state')) === 'host', { timeout: 15000 });
  await eventually('old host is participant', async () => (await text(host, 'role-state')) === 'participant', { timeout: 15000 });
  assert.equal(await guest.getByTestId('end-all-btn').isVisible(), true);
  assert.equal(await host.getByTestId('end-all-btn').isVisible(), false);
  await host.getByTestId('reclaim-host').click();
  await eventually('host again', async () => (await text(host, 'role-state')) === 'host', { timeout: 15000 });
  await eventually('guest demoted', async () => (await text(guest, 'role-state')) === 'participant', { timeout: 15000 });
  assert.equal((await serverParticipant(hostId)).host, true);
});

test('host leaves naming a successor, rejoins and removes the guest', T, async () => {
  await host.getByTestId('leave-btn').click();
  await host.getByTestId('successor-select').selectOption(guestId);
  await host.getByTestId('confirm-leave').click();
  await host.getByTestId('ended-message').waitFor({ timeout: 15000 });
  assert.equal(await host.getByTestId('ended-message').getAttribute('data-reason'), 'left');
  await eventually('successor is host', async () => (await text(guest, 'role-state')) === 'host', { timeout: 15000 });

  assert.equal((await joinUI(host, id, 'Ada Host')).status(), 200, 'the host key lets the creator back in');
  await connected(host);
  hostId = await identity(host);
  await eventually('host again', async () => (await text(host, 'role-state')) === 'host', { timeout: 15000 });
  await host.getByTestId('participants-btn').click();
  await row(guestId).getByTestId('p-remove').click();
  await guest.getByTestId('ended-message').waitFor({ timeout: 15000 });
  assert.equal(await guest.getByTestId('ended-message').getAttribute('data-reason'), 'removed');
  await host.locator(`[data-testid="tile"][data-identity="${guestId}"]`).waitFor({ state: 'detached', timeout: 15000 });
  assert.equal(await serverParticipant(guestId), undefined);
});
