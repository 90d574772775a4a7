// Home screen ("/"): instant meeting, scheduled meeting, join by ID. After creating a
// meeting it shows the invitation (hardware password, SIP and H.323 dial strings).

import { Api, Info, Invitation, Meeting, errorText } from './api';
import { field, h, idFromInput, mount } from './dom';
import { store } from './store';

export async function showHome(api: Api, setState: (s: Record<string, unknown>) => void): Promise<void> {
  setState({ screen: 'home' });
  let info: Info | null = null;
  try {
    info = await api.info();
  } catch {
    info = null; // the forms still work; creation will report the real error
  }
  const openCreate = info?.open_create === true;

  const msg = h('p', { class: 'error', 'data-testid': 'home-error', role: 'alert' });
  const inviteBox = h('section', { class: 'card invite hidden', 'data-testid': 'invitation' });

  const token = h('input', {
    type: 'password',
    autocomplete: 'off',
    'data-testid': 'token-input',
    placeholder: 'operator API token',
    value: store.token(),
    onchange: () => store.setToken(token.value),
  });
  const tokenField = openCreate ? null : field('Operator token (kept in this browser)', token);

  async function create(body: Record<string, unknown>): Promise<void> {
    msg.textContent = '';
    if (!openCreate) store.setToken(token.value);
    try {
      const m = await api.createMeeting(body, openCreate ? undefined : store.token() || undefined);
      if (m.host_key) store.setHostKey(m.id, m.host_key);
      await showInvitation(api, m, inviteBox);
    } catch (e) {
      msg.textContent = `Could not create the meeting: ${errorText(e)}`;
    }
  }

  const instant = h(
    'button',
    { class: 'primary', 'data-testid': 'create-instant', onclick: () => create({}) },
    'Start an instant meeting',
  );

  const topic = h('input', { 'data-testid': 'topic-input', placeholder: 'Weekly sync' });
  const pass = h('input', { 'data-testid': 'password-input', placeholder: 'optional', autocomplete: 'off' });
  const start = h('input', { type: 'datetime-local', 'data-testid': 'start-input' });
  const duration = h('input', { type: 'number', min: 0, step: 15, value: 60, 'data-testid': 'duration-input' });
  const schedule = h(
    'form',
    {
      class: 'card',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const body: Record<string, unknown> = { topic: topic.value.trim() };
        if (pass.value) body.password = pass.value;
        if (start.value) body.start_time = new Date(start.value).toISOString();
        const d = Number(duration.value);
        if (d > 0) body.duration_minutes = d;
        void create(body);
      },
    },
    h('h2', {}, 'Schedule a meeting'),
    field('Topic', topic),
    field('Password', pass),
    field('Start time', start),
    field('Duration (minutes)', duration),
    h('button', { type: 'submit', 'data-testid': 'schedule-btn' }, 'Schedule'),
  );

  const joinId = h('input', { 'data-testid': 'join-id-input', inputmode: 'numeric', placeholder: '123 456 789' });
  const joinName = h('input', { 'data-testid': 'join-name-input', value: store.name(), placeholder: 'Your name' });
  const join = h(
    'form',
    {
      class: 'card',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const id = idFromInput(joinId.value);
        if (!id) {
          msg.textContent = 'Enter a meeting ID.';
          return;
        }
        store.setName(joinName.value);
        location.assign(`/m/${id}`);
      },
    },
    h('h2', {}, 'Join a meeting'),
    field('Meeting ID', joinId),
    field('Your name', joinName),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'join-btn' }, 'Join'),
  );

  mount(
    h(
      'main',
      { class: 'home' },
      h('h1', {}, 'roomgate'),
      h('p', { class: 'hint' }, h('a', { href: '/operator/calls', 'data-testid': 'live-calls-link' }, 'Live room-system calls (operators)')),
      h('section', { class: 'card' }, h('h2', {}, 'New meeting'), tokenField, instant),
      msg,
      inviteBox,
      schedule,
      join,
    ),
  );
}

async function showInvitation(api: Api, m: Meeting, box: HTMLElement): Promise<void> {
  let inv: Invitation;
  try {
    inv = await api.invitation(m.id, m.host_key);
  } catch (e) {
    box.replaceChildren(h('p', { class: 'error' }, `Meeting ${m.id} created, but the invitation failed: ${errorText(e)}`));
    box.classList.remove('hidden');
    return;
  }
  const copied = h('span', { class: 'hint', 'data-testid': 'copy-status' });
  const text = h('pre', { 'data-testid': 'invite-text' }, inv.text);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(inv.text);
      copied.textContent = 'Copied';
    } catch {
      // clipboard unavailable (http, permissions): select the text for a manual copy
      const r = document.createRange();
      r.selectNodeContents(text);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(r);
      // execCommand is deprecated but still the only way to copy outside secure contexts
      copied.textContent = document.execCommand('copy') ? 'Copied' : 'Press Ctrl+C to copy';
    }
  };
  // The host link is the owner's alone: shown here, never in the invitation text.
  const hostURL = inv.host_url || m.host_url;
  const list = (xs: string[] | undefined, id: string) =>
    h('ul', { 'data-testid': id }, ...(xs || []).map((x) => h('li', {}, h('code', {}, x))));
  box.replaceChildren(
    h('h2', {}, `Meeting ${formatId(inv.meeting_id)}`, inv.topic ? ` — ${inv.topic}` : ''),
    h('dl', {},
      h('dt', {}, 'Meeting ID'), h('dd', { 'data-testid': 'invite-id' }, inv.meeting_id),
      h('dt', {}, 'Web link'), h('dd', {}, h('a', { href: inv.web_url || `/m/${inv.meeting_id}` }, inv.web_url || `/m/${inv.meeting_id}`)),
      hostURL ? h('dt', {}, 'Host link (keep it to yourself)') : null,
      hostURL ? h('dd', {}, h('a', { href: hostURL, 'data-testid': 'invite-host-url' }, hostURL)) : null,
      inv.password ? h('dt', {}, 'Password') : null,
      inv.password ? h('dd', { 'data-testid': 'invite-password' }, inv.password) : null,
      inv.hardware_password ? h('dt', {}, 'Room system password') : null,
      inv.hardware_password ? h('dd', { 'data-testid': 'invite-hw-password' }, inv.hardware_password) : null,
      // Only the legs the gateway has enabled (the API sends empty lists for the others).
      inv.sip?.length ? h('dt', {}, 'SIP') : null,
      inv.sip?.length ? h('dd', {}, list(inv.sip, 'invite-sip')) : null,
      inv.h323?.length ? h('dt', {}, 'H.323') : null,
      inv.h323?.length ? h('dd', {}, list(inv.h323, 'invite-h323')) : null,
    ),
    text,
    h('div', { class: 'row' },
      h('button', { 'data-testid': 'copy-invitation', onclick: () => void copy() }, 'Copy invitation'),
      copied,
      h('a', { class: 'button primary', href: `/m/${inv.meeting_id}`, 'data-testid': 'start-meeting' }, 'Start meeting'),
    ),
  );
  box.classList.remove('hidden');
  box.scrollIntoView({ block: 'nearest' });
}

/** formatId groups a meeting ID as 123 456 789(0). */
export function formatId(id: string): string {
  return id.replace(/^(\d{3})(\d{3})(\d+)$/, '$1 $2 $3');
}
