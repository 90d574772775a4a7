// The operators' live-calls page (/operator/calls): every room-system call in
// progress with its per-call stats (the same network object the participants panel
// shows), refreshed every two seconds. Signed in with the operator token the home
// page keeps.

import { ActiveCall, Api, ApiError, errorText } from './api';
import { field, h, mount } from './dom';
import { networkRows } from './netdetails';
import { store } from './store';

const REFRESH_MS = 2000;

/** duration formats the time since iso as m:ss (h:mm:ss past an hour). */
export function duration(iso: string | undefined, now: number): string {
  if (!iso) return '–';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

/** callSummary is one call's line: who, where, how, since when. */
export function callSummary(c: ActiveCall, now: number): [string, string][] {
  const who = [c.display_name || c.address, c.vendor && `${c.vendor}${c.product ? ' ' + c.product : ''}`].filter(Boolean).join(' — ');
  return [
    ['Call', `${c.protocol === 'h323' ? 'H.323' : 'SIP'} ${c.direction === 'in' ? 'dial-in' : 'dial-out'} ${c.state}`],
    ['Room system', `${who} (${c.address || '–'})`],
    ['Meeting', c.meeting_id || '(in the IVR)'],
    ['Connected for', c.answered_at ? duration(c.answered_at, now) : `not answered (${duration(c.started_at, now)})`],
    ['Codecs', c.codecs?.length ? c.codecs.join(', ') : '–'],
  ];
}

/** showLiveCalls mounts the page and keeps it current until the page is left. */
export function showLiveCalls(api: Api): void {
  const token = h('input', { type: 'password', 'data-testid': 'token-input', placeholder: 'operator API token', value: store.token() });
  const status = h('p', { class: 'hint', 'data-testid': 'live-calls-status' });
  const list = h('div', { 'data-testid': 'live-calls' });
  let timer = 0;
  const refresh = async () => {
    window.clearTimeout(timer);
    const auth = store.token();
    if (!auth) {
      status.textContent = 'Enter the operator token to see the calls.';
      return;
    }
    try {
      const calls = await api.activeCalls(auth);
      render(list, calls);
      status.textContent = calls.length ? `${calls.length} call${calls.length > 1 ? 's' : ''} in progress` : 'No room-system call in progress.';
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 401 ? 'That operator token is not valid.' : `Could not load the calls: ${errorText(e)}`;
      if (e instanceof ApiError && e.status === 401) return;
    }
    timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  };
  const signIn = h('form', {
    class: 'row',
    onsubmit: (ev: Event) => {
      ev.preventDefault();
      store.setToken(token.value);
      void refresh();
    },
  }, field('Operator token (kept in this browser)', token), h('button', { type: 'submit', 'data-testid': 'token-save' }, 'Show calls'));
  mount(h('main', { class: 'home wide' },
    h('h1', {}, 'Live room-system calls'),
    h('p', {}, h('a', { href: '/' }, '← Home')),
    h('section', { class: 'card' }, signIn, status),
    list));
  void refresh();
}

function render(list: HTMLElement, calls: ActiveCall[]): void {
  const now = Date.now();
  list.replaceChildren(...calls.map((c) => {
    const rows = callSummary(c, now).concat(c.network ? networkRows(c.network) : [['Network', 'no media yet']]);
    return h('section', { class: 'card livecall', 'data-testid': 'live-call', 'data-call-id': c.id, 'data-state': c.state },
      h('h2', {}, c.display_name || c.address || c.id),
      h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-testid': `call-${k.toLowerCase().replace(/ /g, '-')}` }, v)])));
  }));
}
