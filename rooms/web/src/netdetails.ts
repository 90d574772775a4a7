// A room system's network diagnostics for hosts (issue 14): which NAT/ALG profile
// matched, signalled against observed addresses, whether an ALG seems to rewrite its
// messages, and the traffic each way. Loaded from the participants API when opened.

import { Network, Traffic } from './api';
import { h } from './dom';
import { Ctx } from './state';

const traffic = (t: Traffic) => `${t.packets} packets, ${t.lost} lost, jitter ${t.jitter_ms.toFixed(1)} ms`;
const addr = (s: string) => s || '–';

/** networkRows lists what the details view shows, label and value. */
export function networkRows(n: Network): [string, string][] {
  const rows: [string, string][] = [
    ['Profile', `${n.profile} (advertised ${addr(n.advertised)}, latch ${n.latch}${n.trust_signalled ? '' : ', signalled addresses ignored'})`],
    ['Signalling', `signalled ${addr(n.signalling.signalled)}, observed ${addr(n.signalling.observed)}`],
    ['ALG', n.alg_suspected ? `suspected: ${n.alg_reason ?? ''}` : n.behind_nat ? 'none seen (behind NAT)' : 'none seen'],
  ];
  for (const role of ['audio', 'video', 'content']) {
    const m = n.media[role];
    if (!m) continue;
    const latched = m.latched ? `latched to ${addr(m.observed)}` : 'not latched';
    rows.push([role.charAt(0).toUpperCase() + role.slice(1),
      `signalled ${addr(m.signalled)}, ${latched}, sending to ${addr(m.sending_to)}${m.dropped ? `, ${m.dropped} foreign packets dropped` : ''}`]);
  }
  rows.push(['Received', traffic(n.rx)], ['Sent', traffic(n.tx)]);
  return rows;
}

/** networkDetails is the details box of a room system; it loads on creation. */
export function networkDetails(ctx: Ctx, identity: string): HTMLElement {
  const { state: s, api } = ctx;
  const box = h('div', { class: 'netdetails', 'data-testid': 'p-network-details' }, 'Loading network details…');
  api.participants(s.meetingId, s.session).then((ps) => {
    const n = ps.find((p) => p.identity === identity)?.network;
    box.replaceChildren(n
      ? h('dl', {}, ...networkRows(n).flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-testid': `net-${k.toLowerCase()}` }, v)]))
      : 'No network details: the call is not connected through this gateway.');
  }, () => box.replaceChildren('Network details are unavailable.'));
  return box;
}
