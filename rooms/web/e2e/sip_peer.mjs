// Browser participant for the SIP room-system e2e tests (cmd/roomgate/sip_*_e2e_test.go).
// Not a node:test file: the Go test runs it as `node e2e/sip_peer.mjs` with ROOMGATE_URL,
// ROOMGATE_TOKEN, MEETING_ID, PEER_NAME (and MEETING_PASSWORD) set. It prints one JSON
// object per line on stdout:
//   {"event":"mic_tone","hz":…}      dominant frequency of this browser's fake microphone
//   {"event":"joined","identity":…}  after POST /join and the meeting connection
//   {"event":"stats","stats":{identity:{framesDecoded,videoCodec,audioPackets,audioEnergy}},
//    "tones":{identity:{"hz":…,"db":…}}}  every second: what it decodes from each remote
// and exits when stdin closes or after PEER_SECONDS (default 90).
import { BASE, Browsers, eventually, identity, joinUI, mediaStats } from './browser.mjs';

const id = process.env.MEETING_ID;
const name = process.env.PEER_NAME || 'Browser Peer';
const password = process.env.MEETING_PASSWORD;
const maxSeconds = Number(process.env.PEER_SECONDS || 90);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const browsers = new Browsers();
let done = false;
process.stdin.on('end', () => (done = true));
process.stdin.on('close', () => (done = true));
process.stdin.resume();
setTimeout(() => (done = true), maxSeconds * 1000);

/** peakOf returns, in the page, the dominant frequency of a MediaStreamTrack. */
const PEAK_FN = `
window.__rgPeak = window.__rgPeak || {};
window.__rgPeakOf = (key, track) => {
  let e = window.__rgPeak[key];
  if (!e || e.track !== track) {
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(new MediaStream([track]));
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    src.connect(an);
    e = window.__rgPeak[key] = { ctx, an, track, buf: new Float32Array(an.frequencyBinCount) };
  }
  if (e.ctx.state !== 'running') e.ctx.resume();
  e.an.getFloatFrequencyData(e.buf);
  // peak above 100 Hz (below it is DC and window leakage of a beep's on/off edges)
  const first = Math.ceil((100 * e.an.fftSize) / e.ctx.sampleRate);
  let best = first;
  for (let i = first; i < e.buf.length; i++) if (e.buf[i] > e.buf[best]) best = i;
  return { hz: (best * e.ctx.sampleRate) / e.an.fftSize, db: e.buf[best], state: e.ctx.state };
};`;

async function main() {
  const page = await browsers.launch(`sip-peer-${process.pid}`);
  await page.goto(`${BASE}/`);
  await page.mouse.click(5, 5); // user activation for AudioContext
  await page.evaluate(PEAK_FN);

  // The fake microphone's tone, measured here rather than assumed.
  const mic = await page.evaluate(async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    // The fake device beeps: keep the readings within 10 dB of the loudest one.
    const readings = [];
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 50));
      readings.push(window.__rgPeakOf('mic', s.getAudioTracks()[0]));
    }
    s.getTracks().forEach((t) => t.stop());
    const top = Math.max(...readings.map((p) => p.db));
    const peaks = readings.filter((p) => p.db > -70 && p.db >= top - 10).map((p) => p.hz).sort((a, b) => a - b);
    return { hz: peaks.length ? peaks[Math.floor(peaks.length / 2)] : 0, loud: peaks.length, topDb: top };
  });
  out({ event: 'mic_tone', ...mic });

  const resp = await joinUI(page, id, name, password);
  if (resp.status() !== 200) throw new Error(`join ${id}: HTTP ${resp.status()}`);
  await eventually('meeting connected', async () => (await page.getByTestId('connection-state').textContent().catch(() => '')) === 'connected', { timeout: 30000 });
  await page.evaluate(PEAK_FN);
  out({ event: 'joined', identity: await identity(page) });

  while (!done) {
    const stats = await mediaStats(page);
    const tones = await page.evaluate(() => {
      const res = {};
      for (const p of window.__rg.room.remoteParticipants.values()) {
        for (const pub of p.trackPublications.values()) {
          const mst = pub.track && pub.track.mediaStreamTrack;
          if (mst && mst.kind === 'audio') res[p.identity] = window.__rgPeakOf(p.identity, mst);
        }
      }
      // An analyser per departed participant would keep its AudioContext (an audio
      // thread each) for good: after a few rooms came and went the page stalled.
      for (const [key, e] of Object.entries(window.__rgPeak)) {
        if (!(key in res)) {
          e.ctx.close();
          delete window.__rgPeak[key];
        }
      }
      return res;
    });
    out({ event: 'stats', stats, tones });
    await new Promise((r) => setTimeout(r, 1000));
  }
}

main()
  .catch((e) => {
    out({ event: 'error', error: String(e && e.stack ? e.stack : e) });
    process.exitCode = 1;
  })
  .finally(() => browsers.closeAll());
