// Meeting screen: connects to LiveKit with the token from POST /join, publishes camera
// and microphone (H.264, which room systems decode, in three simulcast layers so the
// gateway can send each room system a frame size it takes) and keeps the UI in
// step with room metadata, participant metadata and the server's data messages on the
// "roomgate" topic.

import {
  DisconnectReason,
  Participant,
  RemoteTrack,
  Room,
  RoomEvent,
  Track,
  VideoPresets,
  createLocalAudioTrack,
} from 'livekit-client';
import { Api, Info, Joined, errorText } from './api';
import { h, mount, nodes } from './dom';
import { formatId } from './home';
import { CallBoard } from './invite';
import { Panel, decide } from './panel';
import { Stage } from './stage';
import { store } from './store';
import { Ctx, RoomMeta, UiState, micLocked, parseJSON, partMeta } from './state';
import { Toolbar } from './toolbar';

const WAITING_POLL_MS = 2000;
const DATA_TOPIC = 'roomgate';

export async function startMeeting(api: Api, id: string, joined: Joined, name: string, state: UiState): Promise<Room> {
  const room = new Room({
    adaptiveStream: true,
    dynacast: true,
    publishDefaults: {
      videoCodec: 'h264',
      simulcast: true,
      videoSimulcastLayers: [VideoPresets.h180, VideoPresets.h360],
    },
  });
  Object.assign(state, {
    screen: 'meeting',
    meetingId: id,
    identity: joined.identity,
    name,
    session: joined.session,
    host: joined.host,
    connection: 'connecting',
  });
  const m = new MeetingView(api, room, state, store.ownerKey(id));
  const w = window as unknown as { __rg: { room: Room; state: UiState } };
  w.__rg.room = room;
  await m.start(joined);
  return room;
}

/**
 * coreURL is the LiveKit signalling URL: the one from the join result, or, when that
 * is empty (embedded core proxied by the server), this page's origin as ws(s).
 */
export function coreURL(fromJoin: string): string {
  if (fromJoin) return fromJoin;
  return location.origin.replace(/^http/, 'ws');
}

class MeetingView implements Ctx {
  private readonly stage: Stage;
  private readonly toolbar: Toolbar;
  private readonly panel: Panel;
  private readonly calls: CallBoard;
  private readonly header = h('header', { class: 'mheader' });
  private readonly banner = h('div', { class: 'banner hidden', 'data-testid': 'banner', role: 'status' });
  private readonly notice = h('div', { class: 'notice hidden', 'data-testid': 'waiting-notice' });
  private readonly toast = h('div', { class: 'toast hidden', 'data-testid': 'toast', role: 'alert' });
  private readonly audio = h('div', { class: 'hidden', 'data-testid': 'audio-sinks' });
  private readonly audioGate = h('button', { class: 'primary hidden', 'data-testid': 'enable-audio' }, 'Click to enable audio');
  private scheduled = false;
  private selfToggle = 0;
  private waitTimer: ReturnType<typeof setInterval> | undefined;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private lastWaiting = -1;
  /** set while we leave or end on purpose, so the core's disconnect is not read as a removal */
  private leaving: '' | 'left' | 'ended' = '';

  constructor(
    readonly api: Api,
    readonly room: Room,
    readonly state: UiState,
    readonly hostKey: string,
  ) {
    this.stage = new Stage(this);
    this.calls = new CallBoard(this);
    this.toolbar = new Toolbar(this, () => this.calls.open());
    this.panel = new Panel(this);
    this.audioGate.addEventListener('click', () => void room.startAudio().then(() => this.render()));
  }

  async start(joined: Joined): Promise<void> {
    mount(
      h('div', { class: 'meeting', 'data-testid': 'meeting' },
        this.header, this.banner, this.notice, this.calls.el,
        h('div', { class: 'body' }, this.stage.el, this.panel.el),
        this.toolbar.el, this.toast, this.audioGate, this.audio),
    );
    this.wire();
    this.render();
    await this.room.connect(coreURL(joined.livekit_url), joined.token, { rtcConfig: await this.rtcConfig() });
    this.state.connection = 'connected';
    this.readRoomMeta();
    await this.publish();
    void this.toolbar.refreshDevices();
    this.render();
  }

  /**
   * rtcConfig follows GET /info: its ice_servers list replaces the public STUN servers
   * LiveKit would hand out (empty means host candidates only); null (external core)
   * keeps the core's own list. When /info cannot be read we stay on the safe side.
   */
  private async rtcConfig(): Promise<RTCConfiguration> {
    let info: Info;
    try {
      info = await this.api.info();
    } catch {
      return { iceServers: [] };
    }
    if (info.ice_servers === null) return {};
    return { iceServers: (info.ice_servers ?? []).map((u) => ({ urls: u })) };
  }

  private async publish(): Promise<void> {
    const lp = this.room.localParticipant;
    const muteOnEntry = this.state.meta.mute_on_entry === true && !this.state.host;
    try {
      this.selfToggle++;
      if (muteOnEntry) {
        // publish the microphone already muted: not a single packet of audio goes out
        const mic = await createLocalAudioTrack();
        await mic.mute();
        await lp.publishTrack(mic, { source: Track.Source.Microphone });
      } else {
        await lp.setMicrophoneEnabled(true);
      }
    } catch (e) {
      this.showToast(`Microphone unavailable: ${errorText(e)}`);
    } finally {
      this.selfToggle--;
    }
    try {
      await lp.setCameraEnabled(true);
    } catch (e) {
      this.showToast(`Camera unavailable: ${errorText(e)}`);
    }
  }

  private wire(): void {
    const r = this.room;
    const rerender = () => this.render();
    r.on(RoomEvent.ParticipantConnected, rerender)
      .on(RoomEvent.ParticipantDisconnected, rerender)
      .on(RoomEvent.TrackPublished, rerender)
      .on(RoomEvent.TrackUnpublished, rerender)
      .on(RoomEvent.TrackUnmuted, rerender)
      .on(RoomEvent.LocalTrackPublished, rerender)
      .on(RoomEvent.LocalTrackUnpublished, rerender)
      .on(RoomEvent.ActiveSpeakersChanged, rerender)
      .on(RoomEvent.ParticipantNameChanged, rerender)
      .on(RoomEvent.AudioPlaybackStatusChanged, rerender)
      .on(RoomEvent.ConnectionStateChanged, (cs) => {
        this.state.connection = String(cs);
        this.render();
      })
      .on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
        if (track.kind === Track.Kind.Audio) this.audio.append(track.attach());
        this.render();
      })
      .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
        if (track.kind === Track.Kind.Audio) track.detach().forEach((el) => el.remove());
        this.render();
      })
      .on(RoomEvent.TrackMuted, (pub, p: Participant) => {
        // a mute we did not ask for is the host's (LiveKit remote mute)
        if (p.isLocal && pub.source === Track.Source.Microphone && this.selfToggle === 0) this.state.mutedByHost = true;
        // our share muted at the server: the host stopped it, or a room system took the floor
        if (p.isLocal && pub.source === Track.Source.ScreenShare) {
          void this.room.localParticipant.setScreenShareEnabled(false).finally(() => {
            this.state.sharing = this.room.localParticipant.isScreenShareEnabled;
            this.render();
          });
        }
        this.render();
      })
      .on(RoomEvent.RoomMetadataChanged, () => {
        this.readRoomMeta();
        this.render();
      })
      .on(RoomEvent.ParticipantMetadataChanged, (_old, p: Participant) => {
        if (p.isLocal && !this.state.meta.host) this.state.host = partMeta(p).host === true;
        this.render();
      })
      .on(RoomEvent.DataReceived, (payload, participant, _kind, topic) => {
        // only the server (no sending participant) may command us
        if (topic !== DATA_TOPIC || participant) return;
        const msg = parseJSON<{ type?: string; allow_self_unmute?: boolean }>(new TextDecoder().decode(payload));
        void this.onCommand(msg.type || '', msg.allow_self_unmute);
      })
      .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
        if (this.state.ended) return;
        if (this.leaving) this.finish(this.leaving);
        else if (reason === DisconnectReason.PARTICIPANT_REMOVED) this.finish('removed');
        else if (reason === DisconnectReason.ROOM_DELETED) this.finish('ended');
        else if (reason === DisconnectReason.DUPLICATE_IDENTITY) this.finish('duplicate');
        else this.finish('disconnected');
      });
  }

  private readRoomMeta(): void {
    const meta = parseJSON<RoomMeta>(this.room.metadata);
    const s = this.state;
    s.meta = meta;
    // metadata written by the server always names the host ("" when there is none);
    // before its first write we keep what the join said
    if (typeof meta.host === 'string') s.host = meta.host !== '' && meta.host === s.identity;
    if (s.host) {
      this.startWaitingPoll();
      if (meta.waiting !== undefined && meta.waiting !== this.lastWaiting) void this.pollWaiting();
    } else {
      this.stopWaitingPoll();
      s.waiting = [];
    }
    this.lastWaiting = meta.waiting ?? -1;
  }

  private startWaitingPoll(): void {
    if (this.waitTimer) return;
    void this.pollWaiting();
    this.waitTimer = setInterval(() => void this.pollWaiting(), WAITING_POLL_MS);
  }

  private stopWaitingPoll(): void {
    clearInterval(this.waitTimer);
    this.waitTimer = undefined;
  }

  private async pollWaiting(): Promise<void> {
    const s = this.state;
    if (!s.host || s.ended) return;
    try {
      s.waiting = await this.api.waiting(s.meetingId, s.session);
    } catch {
      // keep the last list; a lost host right shows up as room metadata
    }
    this.render();
  }

  private async onCommand(type: string, allowSelfUnmute?: boolean): Promise<void> {
    const s = this.state;
    switch (type) {
      case 'ask_unmute':
        s.selfUnmute = true;
        s.banner = type;
        break;
      case 'ask_video':
        s.banner = type;
        break;
      case 'muted_by_host':
        s.mutedByHost = true;
        if (allowSelfUnmute !== undefined) s.selfUnmute = allowSelfUnmute;
        if (this.room.localParticipant.isMicrophoneEnabled) await this.setMic(false, true);
        break;
      case 'removed':
        this.finish('removed');
        await this.room.disconnect();
        return;
      case 'ended':
        this.finish('ended');
        await this.room.disconnect();
        return;
    }
    this.render();
  }

  render(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.paint();
    }, 0);
  }

  private paint(): void {
    const s = this.state;
    if (s.ended) return;
    const lp = this.room.localParticipant;
    s.mic = lp.isMicrophoneEnabled ? 'unmuted' : 'muted';
    s.cam = lp.isCameraEnabled ? 'on' : 'off';
    s.sharing = lp.isScreenShareEnabled;
    if (s.mic === 'unmuted') {
      s.mutedByHost = false;
      s.selfUnmute = undefined;
    }
    document.title = `${s.meta.topic || `Meeting ${formatId(s.meetingId)}`} · roomgate`;
    this.header.replaceChildren(...nodes(
      h('span', { class: 'topic' }, s.meta.topic || 'Meeting'),
      h('span', { class: 'hint' }, `ID ${formatId(s.meetingId)}`),
      s.meta.locked ? h('span', { class: 'badge', 'data-testid': 'locked-badge' }, 'locked') : null,
      h('span', { class: 'badge', 'data-testid': 'role-state' }, s.host ? 'host' : 'participant'),
      h('span', { class: 'hint', 'data-testid': 'connection-state' }, s.connection),
    ));
    this.stage.render();
    this.toolbar.render();
    this.panel.render();
    this.paintBanner();
    this.paintNotice();
    this.audioGate.classList.toggle('hidden', this.room.canPlaybackAudio);
  }

  private paintBanner(): void {
    const s = this.state;
    this.banner.classList.toggle('hidden', !s.banner);
    this.banner.dataset.kind = s.banner;
    if (!s.banner) return;
    const dismiss = h('button', { class: 'small', onclick: () => { s.banner = ''; this.render(); } }, 'Dismiss');
    if (s.banner === 'ask_unmute') {
      this.banner.replaceChildren('The host asks you to unmute.',
        h('button', { class: 'small primary', 'data-testid': 'banner-unmute', onclick: () => { s.banner = ''; s.mutedByHost = false; void this.setMic(true); } }, 'Unmute'),
        dismiss);
    } else {
      this.banner.replaceChildren('The host asks you to start your video.',
        h('button', { class: 'small primary', 'data-testid': 'banner-video', onclick: () => { s.banner = ''; void this.setCam(true); } }, 'Start video'),
        dismiss);
    }
  }

  private paintNotice(): void {
    const s = this.state;
    const show = s.host && s.waiting.length > 0 && !s.panel;
    this.notice.classList.toggle('hidden', !show);
    if (!show) return;
    const first = s.waiting[0]!;
    this.notice.replaceChildren(
      `${first.name} is waiting` + (s.waiting.length > 1 ? ` (+${s.waiting.length - 1} more)` : ''),
      h('button', { class: 'small primary', 'data-testid': 'notice-admit', onclick: () => void decide(this, first.ticket, 'admit') }, 'Admit'),
      h('button', { class: 'small', 'data-testid': 'notice-open', onclick: () => { s.panel = true; this.render(); } }, 'See waiting room'),
    );
  }

  async setMic(on: boolean, force = false): Promise<void> {
    const s = this.state;
    if (on && !force && micLocked(s)) {
      this.showToast('The host muted you; wait until the host asks you to unmute.');
      return;
    }
    this.selfToggle++;
    try {
      await this.room.localParticipant.setMicrophoneEnabled(on);
    } catch (e) {
      this.showToast(`Microphone: ${errorText(e)}`);
    } finally {
      this.selfToggle--;
    }
    this.render();
  }

  async setCam(on: boolean): Promise<void> {
    try {
      await this.room.localParticipant.setCameraEnabled(on);
    } catch (e) {
      this.showToast(`Camera: ${errorText(e)}`);
    }
    this.render();
  }

  async act(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.showToast(`${what} failed: ${errorText(e)}`);
    }
    this.render();
  }

  private showToast(msg: string): void {
    this.state.error = msg;
    this.toast.textContent = msg;
    this.toast.classList.remove('hidden');
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => this.toast.classList.add('hidden'), 6000);
  }

  async leave(successor?: string): Promise<void> {
    const s = this.state;
    this.leaving = 'left';
    try {
      await this.api.leave(s.meetingId, s.session, successor);
    } catch {
      // leaving must work even if the server is gone: disconnecting is enough
    }
    this.finish('left');
    await this.room.disconnect();
  }

  async end(): Promise<void> {
    const s = this.state;
    this.leaving = 'ended';
    try {
      await this.api.meetingAction(s.meetingId, 'end', s.session);
    } catch (e) {
      this.leaving = '';
      this.showToast(`End meeting failed: ${errorText(e)}`);
      return;
    }
    this.finish('ended');
    await this.room.disconnect();
  }

  private finish(reason: string): void {
    const s = this.state;
    if (s.ended) return;
    s.ended = reason;
    s.screen = 'ended';
    this.stopWaitingPoll();
    this.calls.close();
    const text: Record<string, string> = {
      left: 'You left the meeting',
      ended: 'The meeting has ended',
      removed: 'You were removed from the meeting',
      duplicate: 'You joined from another window',
      disconnected: 'You were disconnected',
    };
    document.querySelectorAll('.modal').forEach((el) => el.remove());
    mount(h('main', { class: 'home' }, h('section', { class: 'card' },
      h('h1', { 'data-testid': 'ended-message', 'data-reason': reason }, text[reason] || 'The meeting has ended'),
      h('div', { class: 'row' },
        reason !== 'ended' && reason !== 'removed' ? h('a', { class: 'button primary', href: `/m/${s.meetingId}` }, 'Rejoin') : null,
        h('a', { class: 'button', href: '/' }, 'Home')))));
  }
}
