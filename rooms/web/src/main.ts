// Entry point: "/" is the home screen, "/m/{id}" a meeting. window.__rg exposes the
// LiveKit Room and a plain UI state object to end-to-end tests.

import type { Room } from 'livekit-client';
import { Api, errorText } from './api';
import { h, mount } from './dom';
import { showHome } from './home';
import { showLiveCalls } from './livecalls';
import { startMeeting } from './meeting';
import { showPrejoin } from './prejoin';
import { newState } from './state';

const state = newState();
const rg: { room: Room | null; state: typeof state } = { room: null, state };
(window as unknown as { __rg: typeof rg }).__rg = rg;

const api = new Api();
const setState = (s: Record<string, unknown>) => Object.assign(state, s);

function route(): void {
  if (/^\/operator\/calls\/?$/.test(location.pathname)) {
    showLiveCalls(api);
    return;
  }
  const m = location.pathname.match(/^\/m\/([0-9]{1,20})\/?$/);
  if (!m) {
    void showHome(api, setState);
    return;
  }
  const id = m[1]!;
  void showPrejoin(api, id, {
    setState,
    joined: (j, name) => {
      startMeeting(api, id, j, name, state).catch((e) => {
        state.screen = 'error';
        state.error = errorText(e);
        mount(h('main', { class: 'home' }, h('section', { class: 'card' },
          h('h1', { 'data-testid': 'ended-message', 'data-reason': 'connect_failed' }, 'Could not connect to the meeting'),
          h('p', { class: 'error' }, errorText(e)),
          h('a', { class: 'button primary', href: location.pathname }, 'Try again'))));
      });
    },
  });
}

route();
