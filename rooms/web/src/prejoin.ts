// Pre-join screen for /m/{id}: name and password, then POST /join. A 202 puts the user
// in the waiting room and the ticket is polled every second until admitted or denied.
// The host joins with the meeting's host key (from the host link's #host= fragment,
// kept from creating the meeting, or typed under "I am the host"), or as an operator
// signed in on the home page (the operator token).

import { Api, ApiError, Joined, PublicMeeting, Waiting, errorText } from './api';
import { field, h, mount } from './dom';
import { formatId } from './home';
import { hostKeyFrom, store, takeHostLink } from './store';

const POLL_MS = 1000;

export interface PrejoinHooks {
  setState(s: Record<string, unknown>): void;
  joined(j: Joined, name: string): void;
}

export async function showPrejoin(api: Api, id: string, hooks: PrejoinHooks): Promise<void> {
  hooks.setState({ screen: 'prejoin', meetingId: id });
  takeHostLink(id);
  let hostKey = store.hostKey(id);
  const operator = store.token();
  let pub: PublicMeeting | null = null;
  const msg = h('p', { class: 'error', 'data-testid': 'join-error', role: 'alert' });
  try {
    pub = await api.meeting(id, hostKey || operator || undefined);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      mount(h('main', { class: 'home' }, h('h1', {}, 'Meeting not found'),
        h('p', { 'data-testid': 'join-error' }, `There is no meeting ${formatId(id)}.`),
        h('a', { href: '/' }, 'Back')));
      return;
    }
    msg.textContent = errorText(e);
  }
  const hasPassword = pub ? pub.has_password ?? Boolean(pub.password) : false;

  const name = h('input', { 'data-testid': 'prejoin-name', value: store.name(), placeholder: 'Your name', required: true });
  const pass = h('input', { type: 'password', 'data-testid': 'prejoin-password', autocomplete: 'off' });
  const passField = field('Meeting password', pass);
  const btn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'prejoin-join' });
  const keyInput = h('input', {
    type: 'password', autocomplete: 'off', 'data-testid': 'prejoin-host-key', placeholder: 'host key or host link',
  });
  const hostBox = h('details', { 'data-testid': 'prejoin-host' }, h('summary', {}, 'I am the host'), field('Host key', keyInput));
  const asHostNote = h('p', { class: 'hint', 'data-testid': 'prejoin-as-host' });
  // refresh shows what this browser joins as: host (with a key or as operator) or participant.
  const refresh = () => {
    const key = hostKeyFrom(keyInput.value) || hostKey;
    hostBox.classList.toggle('hidden', Boolean(hostKey));
    passField.classList.toggle('hidden', !hasPassword || Boolean(key));
    asHostNote.textContent = key ? 'You join as the host.' : operator ? 'Signed in as operator: you join as the host.' : '';
    btn.textContent = key || operator ? 'Start as host' : 'Join';
  };
  keyInput.addEventListener('input', refresh);
  refresh();

  let busy = false;
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy) return;
    const who = name.value.trim();
    if (!who) {
      msg.textContent = 'Enter your name.';
      return;
    }
    const typed = hostKeyFrom(keyInput.value);
    if (keyInput.value.trim() && !typed) {
      msg.textContent = 'That is not a host key: paste the key or the whole host link.';
      return;
    }
    busy = true;
    btn.disabled = true;
    msg.textContent = '';
    store.setName(who);
    const key = typed || hostKey;
    try {
      const body: { name: string; password?: string; host_key?: string } = { name: who };
      if (pass.value) body.password = pass.value;
      if (key) body.host_key = key;
      // The operator token only when no host key: a key names this meeting's owner.
      const r = await api.join(id, body, key ? undefined : operator || undefined);
      if (key) keepHostKey(id, key, r.status === 200 && (r.data as Joined).host);
      if (r.status === 202) await waitRoom(api, id, (r.data as Waiting).ticket, who, hooks, msg);
      else hooks.joined(r.data as Joined, who);
    } catch (e) {
      msg.textContent = joinErrorText(e);
      hooks.setState({ screen: 'prejoin', joinError: e instanceof ApiError ? e.status : 0 });
      if (e instanceof ApiError && e.status === 401) {
        if (key) {
          // a wrong key falls back to the password check: forget it, say so
          keepHostKey(id, key, false);
          hostKey = '';
          msg.textContent = 'The host key is not valid for this meeting (or enter the meeting password).';
        }
        refresh();
        passField.classList.remove('hidden');
      }
    } finally {
      busy = false;
      btn.disabled = false;
    }
  };

  mount(
    h('main', { class: 'home' },
      h('form', { class: 'card', onsubmit: submit, 'data-testid': 'prejoin' },
        h('h1', {}, pub?.topic || 'Meeting'),
        h('p', { class: 'hint' }, `Meeting ID ${formatId(id)}`, pub?.live === false ? ' · not started yet' : ''),
        field('Your name', name),
        passField,
        hostBox,
        asHostNote,
        btn,
        msg,
      ),
    ),
  );
  name.focus();
}

// keepHostKey remembers a key the server took as this meeting's host key (so a reload
// joins as host again) and forgets one it did not.
function keepHostKey(id: string, key: string, valid: boolean): void {
  if (valid) store.setHostKey(id, key);
  else if (store.hostKey(id) === key) store.setHostKey(id, '');
}

async function waitRoom(api: Api, id: string, ticket: string, name: string, hooks: PrejoinHooks, msg: HTMLElement): Promise<void> {
  hooks.setState({ screen: 'waiting', ticket });
  const status = h('p', { class: 'hint', 'data-testid': 'waiting-status' });
  mount(
    h('main', { class: 'home' },
      h('section', { class: 'card' },
        h('h1', { 'data-testid': 'waiting-message' }, 'Waiting for the host to let you in'),
        h('p', {}, 'The meeting host will admit you shortly.'),
        status,
      ),
    ),
  );
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      const r = await api.pollTicket(id, ticket);
      if (r.status === 200 && (r.data as Joined).status === 'joined') {
        hooks.joined(r.data as Joined, name);
        return;
      }
      status.textContent = '';
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
        hooks.setState({ screen: 'ended', ended: 'denied' });
        mount(h('main', { class: 'home' }, h('section', { class: 'card' },
          h('h1', { 'data-testid': 'ended-message' }, e.status === 403 ? 'The host did not let you in' : 'The meeting has ended'),
          h('a', { href: '/' }, 'Back'))));
        return;
      }
      // transient failure (network, 429, 5xx): keep polling, tell the user
      status.textContent = `Reconnecting… (${errorText(e)})`;
      msg.textContent = '';
    }
  }
}

function joinErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return errorText(e);
  switch (e.status) {
    case 401:
      // The server answers a meeting ID that does not exist like a wrong password.
      return 'Wrong meeting password, or no meeting with this ID.';
    case 403:
      return e.code === 'locked' ? 'This meeting is locked: the host is not letting anyone else in.' : `Not allowed to join: ${e.message}`;
    case 404:
      return 'This meeting does not exist.';
    case 429:
      return `Too many attempts, try again ${e.retryAfter ? `in ${e.retryAfter} s` : 'in a moment'}.`;
    default:
      return errorText(e);
  }
}
