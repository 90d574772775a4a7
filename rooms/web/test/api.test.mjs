// Unit tests of the REST client (src/api.ts) against a loopback HTTP server that
// answers as docs/api.md says the server does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { bundle } from './bundle.mjs';

const { Api, ApiError, errorText } = await bundle('api');

let server;
let api;
const seen = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body });
      const json = (status, obj, headers = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(obj === undefined ? '' : JSON.stringify(obj));
      };
      const u = req.url;
      if (u === '/api/v1/meetings/111/join') return json(202, { status: 'waiting', ticket: 'tk' });
      if (u === '/api/v1/meetings/222/join') return json(401, { error: { code: 'wrong_password', message: 'wrong meeting password' } });
      if (u === '/api/v1/meetings/333/join') return json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '9' });
      if (u === '/api/v1/meetings/444/join') return json(200, { status: 'joined', token: 't', livekit_url: '', identity: 'web-x', session: 's', host: true });
      if (u.startsWith('/api/v1/meetings/555/actions/')) return json(204);
      if (u === '/api/v1/meetings/666') return json(502, undefined);
      if (u === '/api/v1/meetings/777/waiting') return json(200, { waiting: null });
      if (u === '/api/v1/meetings/888/dialout') return json(202, { id: 'c-1', meeting_id: '888', direction: 'out', protocol: 'sip', address: 'sip:room@h', display_name: 'Room', state: 'calling', started_at: 't' });
      if (u === '/api/v1/meetings/999/dialout') return json(501, { error: { code: 'unsupported', message: 'dial-out is not enabled on this gateway' } });
      if (u === '/api/v1/calls/c-1' && req.method === 'GET') return json(200, { id: 'c-1', state: 'busy', status: 486, reason: 'Busy Here' });
      if (u === '/api/v1/calls/c-1' && req.method === 'DELETE') return json(204);
      return json(404, { error: { code: 'not_found', message: 'nope' } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  api = new Api(`http://127.0.0.1:${server.address().port}`);
});

after(() => server.close());

test('join answers', async (t) => {
  await t.test('202 waiting keeps the status', async () => {
    const r = await api.join('111', { name: 'A' });
    assert.equal(r.status, 202);
    assert.deepEqual(r.data, { status: 'waiting', ticket: 'tk' });
    const last = seen.at(-1);
    assert.equal(last.method, 'POST');
    assert.equal(last.type, 'application/json');
    assert.deepEqual(JSON.parse(last.body), { name: 'A' });
    assert.equal(last.auth, undefined, 'join is anonymous');
  });
  await t.test('200 joined', async () => {
    const r = await api.join('444', { name: 'A', host_key: 'hk' });
    assert.equal(r.status, 200);
    assert.equal(r.data.host, true);
  });
  await t.test('401 becomes ApiError with the code', async () => {
    const e = await api.join('222', { name: 'A', password: 'x' }).catch((e) => e);
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 401);
    assert.equal(e.code, 'wrong_password');
    assert.equal(errorText(e), 'wrong meeting password');
  });
  await t.test('429 carries Retry-After', async () => {
    const e = await api.join('333', { name: 'A' }).catch((e) => e);
    assert.equal(e.status, 429);
    assert.equal(e.retryAfter, 9);
  });
});

test('credentials and bodies', async (t) => {
  await t.test('host action sends the session as Bearer and an empty JSON object', async () => {
    const r = await api.meetingAction('555', 'unmute_all', 'sess');
    assert.equal(r.status, 204);
    const last = seen.at(-1);
    assert.equal(last.auth, 'Bearer sess');
    assert.equal(last.body, '{}');
  });
  await t.test('mute_all body', async () => {
    await api.meetingAction('555', 'mute_all', 'sess', { allow_self_unmute: false });
    assert.deepEqual(JSON.parse(seen.at(-1).body), { allow_self_unmute: false });
  });
  await t.test('path segments are escaped', async () => {
    await api.participantAction('555', 'a/b', 'mute', 's').catch(() => {});
    assert.equal(seen.at(-1).url, '/api/v1/meetings/555/participants/a%2Fb/mute');
  });
  await t.test('null waiting list reads as empty', async () => {
    assert.deepEqual(await api.waiting('777', 's'), []);
  });
  await t.test('error without a JSON body', async () => {
    const e = await api.meeting('666').catch((e) => e);
    assert.equal(e.status, 502);
    assert.equal(e.code, 'http_502');
  });
  await t.test('unreachable server', async () => {
    const e = await new Api('http://127.0.0.1:9').info().catch((e) => e);
    assert.equal(e.code, 'network');
    assert.equal(e.status, 0);
  });
});

test('dial-out', async (t) => {
  await t.test('POST dialout sends the request with the host session', async () => {
    const c = await api.dialOut('888', { protocol: 'sip', address: 'room@h:5070', display_name: 'Room' }, 'host-sess');
    assert.equal(c.id, 'c-1');
    assert.equal(c.state, 'calling');
    const last = seen.at(-1);
    assert.equal(last.method, 'POST');
    assert.equal(last.auth, 'Bearer host-sess');
    assert.deepEqual(JSON.parse(last.body), { protocol: 'sip', address: 'room@h:5070', display_name: 'Room' });
  });
  await t.test('501 when the protocol is not enabled', async () => {
    const e = await api.dialOut('999', { protocol: 'sip', address: 'room@h' }, 's').catch((e) => e);
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 501);
    assert.equal(e.code, 'unsupported');
  });
  await t.test('GET call', async () => {
    const c = await api.getCall('c-1', 's');
    assert.deepEqual([c.state, c.status], ['busy', 486]);
    assert.equal(seen.at(-1).url, '/api/v1/calls/c-1');
  });
  await t.test('DELETE call', async () => {
    const r = await api.hangup('c-1', 's');
    assert.equal(r.status, 204);
    assert.equal(seen.at(-1).method, 'DELETE');
    assert.equal(seen.at(-1).auth, 'Bearer s');
  });
  await t.test('call ids are escaped', async () => {
    await api.getCall('a/b', 's').catch(() => {});
    assert.equal(seen.at(-1).url, '/api/v1/calls/a%2Fb');
  });
});
