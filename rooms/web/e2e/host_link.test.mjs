// End-to-end test of the host link (issue 15 item 2): a meeting created through the
// REST API with the operator token carries host_url; whoever opens it joins as host
// (the key travels in the URL fragment, the page sends it only in its own requests
// and removes it from the address bar) and has the host controls; a guest link, or a
// forged key, gives none; an operator signed in on the home page joins as host.
// Same environment as meeting.test.mjs; this file makes its own meetings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, BASE, Browsers, TOKEN, api, eventually, identity, joinUI } from './browser.mjs';

const browsers = new Browsers();
const T = { timeout: 120000 };
let id = '';
let key = '';
let hostURL = '';
let host;
let guest;
let guestId = '';
const hostRequests = []; // every request the host's page made, for the leak check

const text = (page, testid) => page.getByTestId(testid).textContent().catch(() => '');
const row = (ident) => host.locator(`[data-testid="participant"][data-identity="${ident}"]`);

async function connected(page) {
  await eventually('meeting connected', async () => (await text(page, 'connection-state')) === 'connected', { timeout: 30000 });
}

/** submit fills the pre-join name and joins; returns the POST /join response. */
async function submit(page, meetingId, name) {
  await page.getByTestId('prejoin-name').fill(name);
  const resp = page.waitForResponse((r) => r.url().endsWith(`/api/v1/meetings/${meetingId}/join`) && r.request().method() === 'POST');
  await page.getByTestId('prejoin-join').click();
  return resp;
}

before(async () => {
  assert.ok(TOKEN, 'ROOMGATE_TOKEN must hold the operator token');
  await eventually('GET /healthz 200', async () => (await fetch(`${BASE}/healthz`)).status === 200, { timeout: 60000 });
  const m = await api('POST', '/meetings', { body: { topic: 'host link' } });
  assert.equal(m.status, 201, JSON.stringify(m.data));
  ({ id, host_key: key, host_url: hostURL } = m.data);
  assert.equal(hostURL, `${BASE}/m/${id}#host=${key}`, 'host_url is public_url/m/ID#host=KEY');
});

after(() => browsers.closeAll());

test('the API gives the host link to owners only, never in the invitation text', T, async () => {
  const got = await api('GET', `/meetings/${id}`);
  assert.equal(got.data.host_url, hostURL, 'the operator reads it back');
  const inv = await api('GET', `/meetings/${id}/invitation`);
  assert.equal(inv.data.host_url, hostURL, "the owner's invitation carries it");
  assert.ok(!inv.data.text.includes(key) && !inv.data.text.includes('#host='), `invitation text without the key:\n${inv.data.text}`);
  assert.equal(inv.data.web_url, `${BASE}/m/${id}`);
  for (const p of [`/meetings/${id}`, `/meetings/${id}/invitation`]) {
    const anon = await api('GET', p, { auth: '' });
    assert.equal(anon.status, 200);
    assert.equal(anon.data.host_url, undefined, `${p} anonymously: ${JSON.stringify(anon.data)}`);
    assert.ok(!JSON.stringify(anon.data).includes(key), `${p} anonymously leaks the key`);
  }
});

test('the host link makes its opener host and leaves the address bar', T, async () => {
  host = await browsers.launch('link-host');
  host.on('request', (r) => hostRequests.push(r));
  await host.goto(hostURL);
  await host.getByTestId('prejoin').waitFor();
  assert.equal(await host.evaluate(() => location.href), `${BASE}/m/${id}`, 'the fragment is gone before joining');
  assert.equal(await text(host, 'prejoin-join'), 'Start as host');
  assert.equal(await host.getByTestId('prejoin-host').isVisible(), false, 'no key to type: the link gave it');
  const r = await submit(host, id, 'Hala Host');
  assert.equal(r.status(), 200);
  assert.equal((await r.json()).host, true);
  assert.equal(JSON.parse(r.request().postData()).host_key, key, 'the key goes in the join request');
  await connected(host);
  await eventually('host role', async () => (await text(host, 'role-state')) === 'host');
  assert.equal(await host.evaluate(() => location.hash), '', 'no fragment after joining');
  assert.equal(await host.evaluate(() => location.href), `${BASE}/m/${id}`);
  for (const q of hostRequests) {
    assert.ok(!q.url().includes(key), `the key in a request URL: ${q.url()}`);
    assert.ok(!(q.headers().referer || '').includes(key), `the key in a Referer: ${q.url()}`);
  }
  await host.screenshot({ path: path.join(ARTIFACTS, 'host-link-joined.png') });
});

test('a guest link, or a forged key in it, gives no host powers', T, async () => {
  guest = await browsers.launch('link-guest');
  const forged = 'A'.repeat(43);
  await guest.goto(`${BASE}/m/${id}#host=${forged}`);
  await guest.getByTestId('prejoin').waitFor();
  assert.equal(await guest.evaluate(() => location.hash), '');
  const r = await submit(guest, id, 'Gia Guest');
  assert.equal(r.status(), 200);
  assert.equal((await r.json()).host ?? false, false, 'a forged key joins as a participant (host is omitted when false)');
  await connected(guest);
  guestId = await identity(guest);
  assert.equal(await text(guest, 'role-state'), 'participant');
  assert.equal(await guest.evaluate((id) => localStorage.getItem(`rg.hostKey.${id}`), id), null, 'the forged key is forgotten');
  assert.equal(await guest.getByTestId('invite-open').isVisible(), false, 'no "Invite room system" for a participant');
  const session = await guest.evaluate(() => window.__rg.state.session);
  const lock = await api('PATCH', `/meetings/${id}`, { auth: session, body: { settings: { locked: true } } });
  assert.equal(lock.status, 403, `a participant locks: ${JSON.stringify(lock.data)}`);
  const view = await api('GET', `/meetings/${id}`, { auth: session });
  assert.equal(view.data.host_url, undefined, 'a participant gets no host link');

  // A key typed under "I am the host" that is not one is refused before any request.
  await guest.goto(`${BASE}/m/${id}`);
  await guest.getByTestId('prejoin-host').locator('summary').click();
  await guest.getByTestId('prejoin-host-key').fill('not a key');
  await guest.getByTestId('prejoin-name').fill('Gia Guest');
  await guest.getByTestId('prejoin-join').click();
  await eventually('bad key message', async () => /not a host key/.test(await text(guest, 'join-error')));
  await guest.screenshot({ path: path.join(ARTIFACTS, 'prejoin-host-key.png') });
  await guest.getByTestId('prejoin-host-key').fill('');
  const again = await submit(guest, id, 'Gia Guest');
  assert.equal((await again.json()).host ?? false, false);
  await connected(guest);
  guestId = await identity(guest);
});

test('host controls through the host link: mute, lock, admit from the waiting room, invite a room system', T, async () => {
  assert.ok(host && guest, 'needs the earlier tests');
  await host.getByTestId('participants-btn').click();
  await row(guestId).waitFor({ timeout: 15000 });
  await eventually('guest mic on', async () => (await text(guest, 'mic-state')) === 'unmuted');
  await row(guestId).getByTestId('p-mute').click();
  await eventually('guest muted', async () => (await text(guest, 'mic-state')) === 'muted', { timeout: 15000 });

  await host.getByTestId('lock-toggle').check();
  await host.getByTestId('locked-badge').waitFor({ timeout: 15000 });
  const locked = await api('POST', `/meetings/${id}/join`, { auth: '', body: { name: 'Nora New' } });
  assert.equal(locked.status, 403, JSON.stringify(locked.data));
  assert.equal(locked.data.error.code, 'locked');
  await host.getByTestId('lock-toggle').uncheck();
  await host.getByTestId('locked-badge').waitFor({ state: 'detached', timeout: 15000 });

  await host.getByTestId('waiting-room-toggle').check();
  await eventually('waiting room on', async () => (await api('GET', `/meetings/${id}`)).data.settings.waiting_room === true, { timeout: 15000 });
  const waiting = await api('POST', `/meetings/${id}/join`, { auth: '', body: { name: 'Wanda Waiting' } });
  assert.equal(waiting.status, 202, JSON.stringify(waiting.data));
  const entry = host.locator('[data-testid="waiting-entry"]', { hasText: 'Wanda Waiting' });
  await entry.waitFor({ timeout: 15000 });
  await entry.getByTestId('admit').click();
  await eventually('ticket admitted', async () => {
    const t = await api('GET', `/meetings/${id}/join/${waiting.data.ticket}`, { auth: '' });
    return t.status === 200 && t.data.status === 'joined' && t.data.token;
  }, { timeout: 15000 });
  await host.getByTestId('waiting-room-toggle').uncheck();

  await host.getByTestId('invite-open').click();
  await host.getByTestId('invite-dialog').waitFor({ timeout: 5000 });
  await host.screenshot({ path: path.join(ARTIFACTS, 'host-link-invite.png') });
  await host.getByTestId('invite-close').click();
  await host.getByTestId('invite-dialog').waitFor({ state: 'detached' });
});

test('an operator signed in on the home page joins as host', T, async () => {
  const m = await api('POST', '/meetings', { body: { topic: 'operator joins' } });
  assert.equal(m.status, 201, JSON.stringify(m.data));
  const op = guest; // the guest's browser, now signing in as operator
  await op.goto(`${BASE}/`);
  await op.getByTestId('token-input').fill(TOKEN);
  await op.getByTestId('token-input').press('Tab');
  await eventually('token kept', async () => (await op.evaluate(() => localStorage.getItem('rg.operatorToken'))) === TOKEN);
  // The home page shows the creator the host link, apart from the invitation text.
  await op.getByTestId('create-instant').click();
  await op.getByTestId('invitation').waitFor({ state: 'visible', timeout: 15000 });
  const created = (await text(op, 'invite-id')).trim();
  const link = await op.getByTestId('invite-host-url').getAttribute('href');
  const createdKey = await op.evaluate((id) => localStorage.getItem(`rg.hostKey.${id}`), created);
  assert.equal(link, `${BASE}/m/${created}#host=${createdKey}`);
  assert.ok(!(await text(op, 'invite-text')).includes(createdKey), 'the invitation text has no host key');
  await op.goto(`${BASE}/m/${m.data.id}`);
  await eventually('operator note', async () => /operator/.test(await text(op, 'prejoin-as-host')));
  const r = await submit(op, m.data.id, 'Olga Operator');
  assert.equal(r.status(), 200);
  assert.equal((await r.json()).host, true);
  assert.equal(r.request().headers().authorization, `Bearer ${TOKEN}`);
  assert.equal(JSON.parse(r.request().postData()).host_key, undefined, 'no host key sent');
  await connected(op);
  await eventually('operator is host', async () => (await text(op, 'role-state')) === 'host');
  await op.getByTestId('invite-open').waitFor({ state: 'visible', timeout: 10000 });
});
