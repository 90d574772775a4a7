// Meeting toolbar: mic, camera, device choice, screen share, view toggle, participants
// panel, leave and (host only) "Invite room system" and end for all.

import { Room, RoomEvent } from 'livekit-client';
import { h } from './dom';
import { Ctx, micLocked } from './state';

export class Toolbar {
  readonly el: HTMLElement;
  private readonly mic: HTMLButtonElement;
  private readonly micState = h('span', { class: 'state', 'data-testid': 'mic-state' });
  private readonly cam: HTMLButtonElement;
  private readonly camState = h('span', { class: 'state', 'data-testid': 'cam-state' });
  private readonly share: HTMLButtonElement;
  private readonly view: HTMLButtonElement;
  private readonly people: HTMLButtonElement;
  private readonly endAll: HTMLButtonElement;
  private readonly invite: HTMLButtonElement;
  private readonly micSelect = h('select', { 'data-testid': 'mic-select', title: 'Microphone' });
  private readonly camSelect = h('select', { 'data-testid': 'cam-select', title: 'Camera' });

  constructor(
    private readonly ctx: Ctx,
    onInvite: () => void,
  ) {
    const s = ctx.state;
    this.mic = h('button', { 'data-testid': 'mic-btn', onclick: () => void ctx.setMic(s.mic === 'muted') }, 'Mic ', this.micState);
    this.cam = h('button', { 'data-testid': 'cam-btn', onclick: () => void ctx.setCam(s.cam === 'off') }, 'Camera ', this.camState);
    this.share = h('button', { 'data-testid': 'share-btn', onclick: () => void this.toggleShare() }, 'Share screen');
    this.view = h('button', {
      'data-testid': 'view-toggle',
      onclick: () => {
        s.view = s.view === 'gallery' ? 'speaker' : 'gallery';
        ctx.render();
      },
    });
    this.people = h('button', {
      'data-testid': 'participants-btn',
      onclick: () => {
        s.panel = !s.panel;
        ctx.render();
      },
    });
    this.invite = h('button', { 'data-testid': 'invite-open', onclick: onInvite }, 'Invite room system');
    this.endAll = h('button', { class: 'danger', 'data-testid': 'end-all-btn', onclick: () => this.confirmEnd() }, 'End meeting for all');
    const leave = h('button', { class: 'danger', 'data-testid': 'leave-btn', onclick: () => this.leave() }, 'Leave');
    this.micSelect.addEventListener('change', () => void this.switchDevice('audioinput', this.micSelect.value));
    this.camSelect.addEventListener('change', () => void this.switchDevice('videoinput', this.camSelect.value));
    this.el = h('nav', { class: 'toolbar', 'data-testid': 'toolbar' },
      this.mic, this.micSelect, this.cam, this.camSelect, this.share, this.view, this.people, this.invite, leave, this.endAll);
    ctx.room.on(RoomEvent.MediaDevicesChanged, () => void this.refreshDevices());
    ctx.room.on(RoomEvent.ActiveDeviceChanged, () => void this.refreshDevices());
  }

  render(): void {
    const { state: s, room } = this.ctx;
    this.micState.textContent = s.mic;
    this.mic.classList.toggle('off', s.mic === 'muted');
    const locked = micLocked(s);
    this.mic.disabled = locked;
    this.mic.title = locked
      ? 'The host muted you and does not allow participants to unmute themselves'
      : s.mic === 'muted' ? 'Unmute' : 'Mute';
    this.mic.setAttribute('aria-pressed', String(s.mic === 'unmuted'));
    this.camState.textContent = s.cam;
    this.cam.setAttribute('aria-pressed', String(s.cam === 'on'));
    this.cam.classList.toggle('off', s.cam === 'off');
    this.cam.title = s.cam === 'on' ? 'Stop video' : 'Start video';
    const shareLocked = s.meta.share_host_only === true && !s.host;
    this.share.disabled = shareLocked && !s.sharing;
    this.share.title = shareLocked ? 'Only the host can share the screen' : '';
    this.share.textContent = s.sharing ? 'Stop sharing' : 'Share screen';
    this.share.dataset.state = s.sharing ? 'sharing' : 'idle';
    this.view.textContent = s.view === 'gallery' ? 'Speaker view' : 'Gallery view';
    this.view.dataset.view = s.view;
    const n = room.remoteParticipants.size + 1;
    this.people.textContent = `Participants (${n})` + (s.host && s.waiting.length ? ` · ${s.waiting.length} waiting` : '');
    this.endAll.hidden = !s.host;
    this.invite.hidden = !s.host;
  }

  async refreshDevices(): Promise<void> {
    const fill = async (sel: HTMLSelectElement, kind: MediaDeviceKind) => {
      let list: MediaDeviceInfo[] = [];
      try {
        list = await Room.getLocalDevices(kind, false);
      } catch {
        list = [];
      }
      const active = this.ctx.room.getActiveDevice(kind);
      sel.replaceChildren(
        ...list.map((d, i) => h('option', { value: d.deviceId }, d.label || `${kind === 'audioinput' ? 'Microphone' : 'Camera'} ${i + 1}`)),
      );
      if (active) sel.value = active;
      sel.hidden = list.length === 0;
    };
    await Promise.all([fill(this.micSelect, 'audioinput'), fill(this.camSelect, 'videoinput')]);
  }

  private async switchDevice(kind: MediaDeviceKind, id: string): Promise<void> {
    await this.ctx.act('switch device', () => this.ctx.room.switchActiveDevice(kind, id));
  }

  private async toggleShare(): Promise<void> {
    const { room, state } = this.ctx;
    const on = !room.localParticipant.isScreenShareEnabled;
    await this.ctx.act('screen share', async () => {
      await room.localParticipant.setScreenShareEnabled(on, { audio: false });
      state.sharing = room.localParticipant.isScreenShareEnabled;
    });
  }

  private leave(): void {
    if (!this.ctx.state.host) {
      void this.ctx.leave();
      return;
    }
    // host leaving: optionally name who takes over
    const others = [...this.ctx.room.remoteParticipants.values()];
    const pick = h('select', { 'data-testid': 'successor-select' },
      h('option', { value: '' }, 'Let the server choose'),
      ...others.map((p) => h('option', { value: p.identity }, p.name || p.identity)));
    const dlg = modal(
      h('h2', {}, 'Leave the meeting?'),
      others.length ? h('label', { class: 'field' }, h('span', {}, 'New host'), pick) : h('p', {}, 'You are the last one here.'),
      h('div', { class: 'row' },
        h('button', { class: 'danger', 'data-testid': 'confirm-leave', onclick: () => { dlg.remove(); void this.ctx.leave(pick.value || undefined); } }, 'Leave'),
        h('button', { 'data-testid': 'confirm-end', onclick: () => { dlg.remove(); void this.ctx.end(); } }, 'End meeting for all'),
        h('button', { onclick: () => dlg.remove() }, 'Cancel')),
    );
  }

  private confirmEnd(): void {
    const dlg = modal(
      h('h2', {}, 'End the meeting for everyone?'),
      h('div', { class: 'row' },
        h('button', { class: 'danger', 'data-testid': 'confirm-end', onclick: () => { dlg.remove(); void this.ctx.end(); } }, 'End for all'),
        h('button', { onclick: () => dlg.remove() }, 'Cancel')),
    );
  }
}

/** modal shows a small dialog over the meeting and returns its root for removal. */
export function modal(...children: Node[]): HTMLElement {
  const dlg = h('div', { class: 'modal', role: 'dialog', 'data-testid': 'modal' }, h('div', { class: 'card' }, ...children));
  document.body.append(dlg);
  return dlg;
}
