// Participants panel: everyone's mic/video state and, for the host, per-participant
// controls (mute, ask to unmute, stop video, rename, remove, make host), meeting-wide
// controls (mute all, unmute all, lock, screen-share lock, waiting room) and the waiting list.

import { Participant } from 'livekit-client';
import { h, nodes } from './dom';
import { icon } from './icons';
import { networkDetails } from './netdetails';
import { Ctx, byJoin, deviceLabel, displayName, kindLabel, partMeta } from './state';

export class Panel {
  readonly el = h('aside', { class: 'panel hidden', 'data-testid': 'participants-panel' });
  private sig = '';
  private renaming = '';
  private draft = '';
  /** the room system whose network details are open ('' none) */
  private netOpen = '';
  /** the "allow participants to unmute themselves" box as changed but not yet sent */
  private allowDraft: boolean | undefined;

  constructor(private readonly ctx: Ctx) {}

  render(): void {
    const { state: s, room } = this.ctx;
    this.el.classList.toggle('hidden', !s.panel);
    if (!s.panel) return;
    const parts: Participant[] = [room.localParticipant, ...[...room.remoteParticipants.values()].sort(byJoin)];
    const sig = JSON.stringify([
      s.host, s.meta, s.waiting, this.renaming, this.netOpen, !!this.ctx.hostKey,
      parts.map((p) => [p.identity, p.name, p.metadata, p.isMicrophoneEnabled, p.isCameraEnabled, p.isScreenShareEnabled]),
    ]);
    if (sig === this.sig) return;
    this.sig = sig;
    this.el.replaceChildren(...nodes(
      h('h2', {}, `Participants (${parts.length})`),
      s.host ? this.waitingList() : null,
      h('ul', { class: 'people' }, ...parts.map((p) => this.row(p))),
      s.host ? this.hostControls() : null,
      !s.host && this.ctx.hostKey
        ? h('button', { 'data-testid': 'reclaim-host', onclick: () => void this.reclaim() }, 'Reclaim host')
        : null,
    ));
  }

  private row(p: Participant): HTMLElement {
    const { state: s } = this.ctx;
    const meta = partMeta(p);
    const isHost = s.meta.host ? s.meta.host === p.identity : meta.host === true;
    const audio = p.isMicrophoneEnabled ? 'unmuted' : 'muted';
    const video = p.isCameraEnabled ? 'on' : 'off';
    const kind = kindLabel(meta);
    const device = kind ? deviceLabel(meta) : '';
    const li = h('li', { 'data-testid': 'participant', 'data-identity': p.identity, 'data-audio': audio, 'data-video': video,
      'data-sharing': p.isScreenShareEnabled ? 'yes' : 'no' },
      h('span', { class: 'pname' }, displayName(p), p.isLocal ? ' (you)' : ''),
      isHost ? h('span', { class: 'badge host' }, 'host') : null,
      kind ? h('span', { class: 'badge kind', 'data-testid': 'p-kind', title: kind === 'SIP' ? 'SIP room system' : 'H.323 room system' }, kind) : null,
      device ? h('span', { class: 'pdevice', 'data-testid': 'p-device' }, device) : null,
      h('span', { class: `pstate ${audio}`, 'data-testid': 'p-audio-state' },
        audio === 'muted' ? icon('micOff', 'microphone muted') : icon('mic', 'microphone on')),
      h('span', { class: `pstate video-${video}`, 'data-testid': 'p-video-state' },
        video === 'on' ? icon('cam', 'camera on') : icon('camOff', 'camera off')),
      p.isScreenShareEnabled ? h('span', { class: 'pstate' }, icon('screen', 'sharing the screen')) : null,
    );
    if (!s.host || p.isLocal) return li;
    const act = (label: string, testid: string, action: string, body?: () => Record<string, unknown>) =>
      h('button', {
        class: 'small',
        'data-testid': testid,
        onclick: () => void this.ctx.act(label, () => this.ctx.api.participantAction(s.meetingId, p.identity, action, s.session, body?.())),
      }, label);
    const controls = h('div', { class: 'pcontrols' },
      audio === 'unmuted' ? act('Mute', 'p-mute', 'mute') : act('Ask to unmute', 'p-ask-unmute', 'unmute'),
      video === 'on' ? act('Stop video', 'p-stop-video', 'stop_video') : null,
      p.isScreenShareEnabled ? act('Stop share', 'p-stop-share', 'stop_share') : null,
      h('button', { class: 'small', 'data-testid': 'p-rename', onclick: () => { this.renaming = p.identity; this.draft = displayName(p); this.ctx.render(); } }, 'Rename'),
      act('Make host', 'p-make-host', 'make_host'),
      act('Remove', 'p-remove', 'remove'),
      kind ? h('button', { class: 'small', 'data-testid': 'p-network', onclick: () => {
        this.netOpen = this.netOpen === p.identity ? '' : p.identity;
        this.ctx.render();
      } }, this.netOpen === p.identity ? 'Hide network' : 'Network') : null,
    );
    li.append(controls);
    if (this.renaming === p.identity) li.append(this.renameForm(p));
    if (kind && this.netOpen === p.identity) li.append(networkDetails(this.ctx, p.identity));
    return li;
  }

  private renameForm(p: Participant): HTMLElement {
    const { state: s } = this.ctx;
    const input = h('input', { 'data-testid': 'rename-input', value: this.draft, oninput: () => (this.draft = input.value) });
    const done = () => {
      this.renaming = '';
      this.ctx.render();
    };
    queueMicrotask(() => input.focus());
    return h('form', {
      class: 'row',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const name = input.value.trim();
        if (name) void this.ctx.act('rename', () => this.ctx.api.participantAction(s.meetingId, p.identity, 'rename', s.session, { name }));
        done();
      },
    }, input, h('button', { type: 'submit', 'data-testid': 'rename-ok' }, 'OK'), h('button', { type: 'button', onclick: done }, 'Cancel'));
  }

  private hostControls(): HTMLElement {
    const { state: s, api } = this.ctx;
    const m = s.meta;
    const allow = h('input', {
      type: 'checkbox',
      'data-testid': 'allow-self-unmute',
      checked: this.allowDraft ?? m.allow_self_unmute ?? true,
      onchange: () => (this.allowDraft = allow.checked),
    });
    const muteAll = async () => {
      const allowSelfUnmute = allow.checked;
      await this.ctx.act('mute all', () => api.meetingAction(s.meetingId, 'mute_all', s.session, { allow_self_unmute: allowSelfUnmute }));
      this.allowDraft = undefined;
    };
    const setting = (key: string, value: boolean) => async () => {
      await this.ctx.act(key, () => api.patchMeeting(s.meetingId, { settings: { [key]: value } }, s.session));
      this.sig = ''; // show the server's state again, also when the change failed
      this.ctx.render();
    };
    const toggle = (label: string, testid: string, key: keyof typeof m) =>
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', 'data-testid': testid, checked: m[key] === true, onchange: () => void setting(key, m[key] !== true)() }),
        label);
    return h('section', { class: 'host-controls', 'data-testid': 'host-controls' },
      h('h3', {}, 'Host controls'),
      h('div', { class: 'row' },
        h('button', {
          'data-testid': 'mute-all',
          onclick: () => void muteAll(),
        }, 'Mute all'),
        h('label', { class: 'check' }, allow, 'Allow participants to unmute themselves'),
      ),
      h('button', { 'data-testid': 'unmute-all', onclick: () => void this.ctx.act('unmute all', () => api.meetingAction(s.meetingId, 'unmute_all', s.session)) }, 'Ask all to unmute'),
      toggle('Lock meeting', 'lock-toggle', 'locked'),
      toggle('Only the host can share the screen', 'share-lock-toggle', 'share_host_only'),
      toggle('Waiting room', 'waiting-room-toggle', 'waiting_room'),
      h('span', { class: 'hidden', 'data-testid': 'lock-state' }, m.locked ? 'locked' : 'unlocked'),
    );
  }

  private waitingList(): HTMLElement | null {
    const { state: s } = this.ctx;
    if (!s.waiting.length && !s.meta.waiting_room) return null;
    return h('section', { class: 'waiting', 'data-testid': 'waiting-list' },
      h('h3', {}, `Waiting room (${s.waiting.length})`),
      ...s.waiting.map((w) =>
        h('div', { class: 'row', 'data-testid': 'waiting-entry', 'data-ticket': w.ticket },
          h('span', { class: 'pname' }, w.name),
          h('button', { class: 'small primary', 'data-testid': 'admit', onclick: () => void decide(this.ctx, w.ticket, 'admit') }, 'Admit'),
          h('button', { class: 'small', 'data-testid': 'deny', onclick: () => void decide(this.ctx, w.ticket, 'deny') }, 'Deny'))),
    );
  }

  private async reclaim(): Promise<void> {
    const { state: s, api } = this.ctx;
    await this.ctx.act('reclaim host', () => api.meetingAction(s.meetingId, 'reclaim_host', this.ctx.hostKey, { identity: s.identity }));
  }
}

/** decide admits or denies a waiting participant and drops it from the list at once. */
export async function decide(ctx: Ctx, ticket: string, verdict: 'admit' | 'deny'): Promise<void> {
  const s = ctx.state;
  await ctx.act(verdict, async () => {
    await ctx.api.decide(s.meetingId, ticket, verdict, s.session);
    s.waiting = s.waiting.filter((w) => w.ticket !== ticket);
  });
}
