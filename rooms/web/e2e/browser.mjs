// Helpers for the browser end-to-end tests: one persistent Chromium context per
// participant (fresh profile dir, fake camera and microphone, loopback ICE), the REST
// API with the operator token, and polling with deadlines instead of fixed sleeps.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BASE = (process.env.ROOMGATE_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
export const TOKEN = process.env.ROOMGATE_TOKEN || '';
export const ARTIFACTS = process.env.ARTIFACTS_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'roomgate-e2e-'));
fs.mkdirSync(ARTIFACTS, { recursive: true });

const ARGS = [
  '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Browsers keeps every participant's context so the suite can close them all. */
export class Browsers {
  constructor() {
    this.open = [];
  }

  async launch(name) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rg-chr-${name}-`));
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 720 },
    });
    const page = ctx.pages()[0] || (await ctx.newPage());
    const log = fs.createWriteStream(path.join(ARTIFACTS, `${name}-console.log`));
    page.on('console', (m) => log.write(`${m.type()}: ${m.text()}\n`));
    page.on('pageerror', (e) => log.write(`pageerror: ${e.stack || e}\n`));
    const entry = { name, ctx, page, dir, log };
    this.open.push(entry);
    return page;
  }

  async closeAll() {
    for (const { name, ctx, page, dir, log } of this.open.splice(0)) {
      await page.screenshot({ path: path.join(ARTIFACTS, `final-${name}.png`) }).catch(() => {});
      await ctx.close().catch(() => {});
      log.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** api calls the REST API with the operator token (or the given credential). */
export async function api(method, p, { auth = TOKEN, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${BASE}/api/v1${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  return { status: res.status, data };
}

/** eventually polls fn until it returns a truthy value or the deadline passes. */
export async function eventually(what, fn, { timeout = 30000, every = 250 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${fmt(last)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function fmt(v) {
  if (v instanceof Error) return v.message;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/**
 * mediaStats reads, in the page, the inbound RTP stats of every remote participant's
 * tracks: frames decoded and codec for video, packets and energy for audio.
 */
export function mediaStats(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const p of window.__rg.room.remoteParticipants.values()) {
      const r = (out[p.identity] = { framesDecoded: 0, videoCodec: '', audioPackets: 0, audioEnergy: 0 });
      for (const pub of p.trackPublications.values()) {
        const rx = pub.track && pub.track.receiver;
        if (!rx) continue;
        // A receiver torn down as its participant leaves may never answer getStats:
        // one such call must not stall every later reading.
        const rep = await Promise.race([rx.getStats(), new Promise((res) => setTimeout(() => res(null), 2000))]);
        if (!rep) continue;
        rep.forEach((s) => {
          if (s.type !== 'inbound-rtp') return;
          if (s.kind === 'video') {
            r.framesDecoded += s.framesDecoded || 0;
            const c = s.codecId && rep.get(s.codecId);
            if (c) r.videoCodec = c.mimeType;
          } else if (s.kind === 'audio') {
            r.audioPackets += s.packetsReceived || 0;
            r.audioEnergy += s.totalAudioEnergy || 0;
          }
        });
      }
    }
    return out;
  });
}

/** joinUI opens /m/{id} and submits the pre-join form; returns the POST /join response. */
export async function joinUI(page, id, name, password) {
  await page.goto(`${BASE}/m/${id}`);
  await page.getByTestId('prejoin-name').fill(name);
  if (password !== undefined) {
    // the password field may be hidden when the meeting has none: fill it through the DOM
    await page.getByTestId('prejoin-password').evaluate((el, v) => (el.value = v), password);
  }
  const resp = page.waitForResponse((r) => r.url().endsWith(`/api/v1/meetings/${id}/join`) && r.request().method() === 'POST');
  await page.getByTestId('prejoin-join').click();
  return resp;
}

export function identity(page) {
  return page.evaluate(() => window.__rg.state.identity);
}

/** framesDecoded of one remote participant's video source ('camera' or 'screen_share'). */
export function framesOf(page, ident, source) {
  return page.evaluate(async ([ident, source]) => {
    const p = window.__rg.room.remoteParticipants.get(ident);
    const rx = p && [...p.trackPublications.values()].find((t) => t.source === source)?.track?.receiver;
    if (!rx) return 0;
    let n = 0;
    (await rx.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded || 0;
    });
    return n;
  }, [ident, source]);
}
