// Browser participant for the content (screen share) e2e tests and benchmarks with
// room systems of any protocol (cmd/roomgate/content_browser_e2e_test.go,
// bench/content_latency.sh). Not a node:test file: run as `node e2e/content_peer.mjs`
// with ROOMGATE_URL, ROOMGATE_TOKEN, MEETING_ID, PEER_NAME (and MEETING_PASSWORD,
// PEER_SECONDS: default 300) set. It reads commands on stdin, one a line:
//   share    clicks "Share screen" (the UI's own share, H.264) unless sharing
//   unshare  clicks "Stop sharing" while sharing
// (each waits, up to 20 s, for the share button to show the new state before the next)
// and exits when stdin closes. It prints one JSON object per line on stdout (t: Date.now()):
//   {"event":"joined","identity":…}
//   {"event":"share","on":true|false,"t":…}   just before the click
//   {"event":"sharing","on":true|false,"t":…} the share button's state changed (also
//        when the meeting stopped the share: a host's stop_share, a room taking the floor)
//   {"event":"first_frame","identity":…,"source":"camera"|"screen_share","sid":…,"t":…}
//        the first frame decoded of a remote video track (each new track: a room system's
//        share is a new track per presentation); watched every WATCH_MS (default 20) ms
//   {"event":"sources","t":…,"sources":{identity:{camera:framesDecoded,screen_share:…,
//        screen_codec:…,screen_width:…,screen_height:…}},"tiles":[identity of each
//        tile-screen],"local_share":{codec,framesEncoded,width,height}|null}  every 500 ms
import readline from 'node:readline';
import { Browsers, eventually, identity, joinUI } from './browser.mjs';

const id = process.env.MEETING_ID;
const name = process.env.PEER_NAME || 'Content Peer';
const password = process.env.MEETING_PASSWORD;
const maxSeconds = Number(process.env.PEER_SECONDS || 300);
const watchMS = Number(process.env.WATCH_MS || 20);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const browsers = new Browsers();
let done = false;
const commands = [];
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (l) => commands.push(l.trim()));
rl.on('close', () => (done = true));
setTimeout(() => (done = true), maxSeconds * 1000);

/** Installs, in the page, the watcher of first decoded frames per remote video track. */
const WATCH_FN = (every) => {
  const seen = new Set();
  window.__rgFirst = [];
  let busy = false;
  setInterval(async () => {
    if (busy || !window.__rg || !window.__rg.room) return;
    busy = true;
    try {
      for (const p of window.__rg.room.remoteParticipants.values()) {
        for (const pub of p.trackPublications.values()) {
          const rx = pub.kind === 'video' && pub.track && pub.track.receiver;
          const key = `${p.identity}|${pub.source}|${pub.trackSid}`;
          if (!rx || seen.has(key)) continue;
          let n = 0;
          (await rx.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded || 0;
          });
          if (n > 0) {
            seen.add(key);
            window.__rgFirst.push({ identity: p.identity, source: pub.source, sid: pub.trackSid, t: Date.now() });
          }
        }
      }
    } finally {
      busy = false;
    }
  }, every);
};

/** Per remote identity: frames decoded per video source, the share's codec and size; the share tiles; our own share. */
function sources(page) {
  return page.evaluate(async () => {
    const res = {};
    for (const p of window.__rg.room.remoteParticipants.values()) {
      const r = (res[p.identity] = { camera: 0, screen_share: 0 });
      for (const pub of p.trackPublications.values()) {
        const rx = pub.kind === 'video' && pub.track && pub.track.receiver;
        if (!rx) continue;
        const rep = await rx.getStats();
        rep.forEach((s) => {
          if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
          r[pub.source] = (r[pub.source] || 0) + (s.framesDecoded || 0);
          if (pub.source === 'screen_share') {
            const c = s.codecId && rep.get(s.codecId);
            if (c) r.screen_codec = c.mimeType;
            r.screen_width = s.frameWidth || 0;
            r.screen_height = s.frameHeight || 0;
          }
        });
      }
    }
    const tiles = [...document.querySelectorAll('[data-testid="tile-screen"]')].map((e) => e.dataset.identity);
    let local = null;
    for (const pub of window.__rg.room.localParticipant.trackPublications.values()) {
      const sender = pub.source === 'screen_share' && pub.track && pub.track.sender;
      if (!sender) continue;
      local = { codec: '', framesEncoded: 0, width: 0, height: 0 };
      const rep = await sender.getStats();
      rep.forEach((s) => {
        if (s.type !== 'outbound-rtp') return;
        local.framesEncoded += s.framesEncoded || 0;
        local.width = Math.max(local.width, s.frameWidth || 0);
        local.height = Math.max(local.height, s.frameHeight || 0);
        const c = s.codecId && rep.get(s.codecId);
        if (c) local.codec = c.mimeType;
      });
    }
    return { sources: res, tiles, local_share: local };
  });
}

async function main() {
  const page = await browsers.launch(`content-peer-${process.pid}`);
  const resp = await joinUI(page, id, name, password);
  if (resp.status() !== 200) throw new Error(`join ${id}: HTTP ${resp.status()}`);
  await eventually('meeting connected', async () => (await page.getByTestId('connection-state').textContent().catch(() => '')) === 'connected', { timeout: 30000 });
  await page.evaluate(WATCH_FN, watchMS);
  out({ event: 'joined', identity: await identity(page) });

  const shareState = async () => (await page.getByTestId('share-btn').getAttribute('data-state')) === 'sharing';
  let sharing = await shareState();
  let lastSources = 0;
  while (!done) {
    const cmd = commands.shift();
    if (cmd === 'share' || cmd === 'unshare') {
      const on = cmd === 'share';
      if (on !== (await shareState())) {
        out({ event: 'share', on, t: Date.now() });
        await page.getByTestId('share-btn').click();
        // the next command applies to the state this one asked for
        await eventually(`share ${on ? 'on' : 'off'}`, async () => (await shareState()) === on, { timeout: 20000, every: 20 });
      }
    } else if (cmd) {
      out({ event: 'error', error: `unknown command ${JSON.stringify(cmd)}` });
    }
    const now = await shareState();
    if (now !== sharing) {
      sharing = now;
      out({ event: 'sharing', on: now, t: Date.now() });
    }
    for (const f of await page.evaluate(() => window.__rgFirst.splice(0))) out({ event: 'first_frame', ...f });
    if (Date.now() - lastSources >= 500) {
      lastSources = Date.now();
      out({ event: 'sources', t: lastSources, ...(await sources(page)) });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

main()
  .catch((e) => {
    out({ event: 'error', error: String(e && e.stack ? e.stack : e) });
    process.exitCode = 1;
  })
  .finally(() => browsers.closeAll());
