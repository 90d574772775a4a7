// Joins two headless Chromium participants to one meeting, holds them there for
// HOLD_S seconds (both publishing camera and microphone), then leaves.
// Used by bench/meeting_mem.sh; env as for rooms/web/e2e (ROOMGATE_URL, ROOMGATE_TOKEN).
import { Browsers, api, joinUI } from '../rooms/web/e2e/browser.mjs';

const hold = Number(process.env.HOLD_S || 20);
const b = new Browsers();
try {
  const m = await api('POST', '/meetings', { body: { topic: 'memory bench' } });
  const id = m.data.id;
  const a = await b.launch('mem-a');
  const c = await b.launch('mem-b');
  await joinUI(a, id, 'A');
  await joinUI(c, id, 'B');
  await a.waitForFunction(() => window.__rg?.room?.remoteParticipants?.size === 1, null, { timeout: 30000 });
  console.log('JOINED');
  await new Promise((r) => setTimeout(r, hold * 1000));
} finally {
  await b.closeAll();
}
