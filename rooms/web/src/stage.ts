// Video layout: gallery (equal tiles, 25 per page) and speaker view (active speaker large,
// thumbnails in a horizontally scrolling strip above). A screen share, when present,
// takes the large tile in both views. Tiles are kept per participant and source and only
// moved around, so video elements are not re-created on every update.

import { Participant, Track, VideoTrack } from 'livekit-client';
import { h } from './dom';
import { icon } from './icons';
import { PAGE_SIZE, galleryPage, pickSpeaker } from './layout';
import { Ctx, byJoin, displayName, kindLabel, partMeta } from './state';


class Tile {
  readonly el: HTMLElement;
  private readonly video: HTMLVideoElement;
  private readonly avatar: HTMLElement;
  private readonly nameEl: HTMLElement;
  private readonly micEl: HTMLElement;
  private readonly hostEl: HTMLElement;
  private readonly kindEl: HTMLElement;
  private attached: VideoTrack | undefined;

  constructor(
    readonly identity: string,
    readonly source: Track.Source,
  ) {
    const screen = source === Track.Source.ScreenShare;
    this.video = h('video', { autoplay: true, playsinline: true, muted: true });
    this.video.muted = true;
    this.avatar = h('div', { class: 'avatar' });
    this.nameEl = h('span', { class: 'name', 'data-testid': 'tile-name' });
    this.micEl = h('span', { class: 'mic', 'data-testid': 'tile-mic', title: 'microphone muted' }, icon('micOff', 'microphone muted'));
    this.hostEl = h('span', { class: 'badge host', 'data-testid': 'tile-host' }, 'host');
    this.kindEl = h('span', { class: 'badge kind', 'data-testid': 'tile-kind' });
    this.el = h(
      'div',
      { class: screen ? 'tile screen' : 'tile', 'data-testid': screen ? 'tile-screen' : 'tile', 'data-identity': identity },
      this.video,
      this.avatar,
      h('div', { class: 'label' }, this.micEl, this.nameEl, this.hostEl, this.kindEl),
    );
  }

  update(p: Participant, hostIdentity: string, speaking: boolean): void {
    const screen = this.source === Track.Source.ScreenShare;
    const pub = p.getTrackPublication(this.source);
    const track = pub && !pub.isMuted ? (pub.track as VideoTrack | undefined) : undefined;
    if (track !== this.attached) {
      this.attached?.detach(this.video);
      this.attached = track;
      if (track) track.attach(this.video);
    }
    const name = displayName(p);
    this.el.classList.toggle('novideo', !track);
    this.el.classList.toggle('mirror', p.isLocal && this.source === Track.Source.Camera);
    this.el.classList.toggle('speaking', speaking && !screen);
    this.avatar.textContent = initials(name);
    this.nameEl.textContent = screen ? `${name} (screen)` : p.isLocal ? `${name} (you)` : name;
    const micMuted = !p.isMicrophoneEnabled;
    this.micEl.hidden = screen || !micMuted;
    this.el.dataset.muted = String(micMuted);
    this.el.dataset.video = track ? 'on' : 'off';
    const meta = partMeta(p);
    const isHost = hostIdentity ? hostIdentity === p.identity : meta.host === true;
    this.hostEl.hidden = screen || !isHost;
    const kind = kindLabel(meta);
    this.kindEl.textContent = kind;
    this.kindEl.hidden = !kind;
    this.el.dataset.kind = meta.kind || 'web';
  }

  dispose(): void {
    this.attached?.detach(this.video);
    this.attached = undefined;
    this.el.remove();
  }
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return parts.slice(0, 2).map((s) => s[0]!.toUpperCase()).join('') || '?';
}

/** Stage owns the video area of the meeting screen. */
export class Stage {
  readonly el: HTMLElement;
  private readonly strip = h('div', { class: 'strip', 'data-testid': 'strip' });
  private readonly big = h('div', { class: 'big', 'data-testid': 'stage-big' });
  private readonly grid = h('div', { class: 'grid', 'data-testid': 'grid' });
  private readonly pageInfo = h('span', { 'data-testid': 'page-info' });
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly pager: HTMLElement;
  private readonly tiles = new Map<string, Tile>();

  constructor(private readonly ctx: Ctx) {
    this.prev = h('button', { 'data-testid': 'page-prev', onclick: () => this.turn(-1) }, '‹ Prev');
    this.next = h('button', { 'data-testid': 'page-next', onclick: () => this.turn(1) }, 'Next ›');
    this.pager = h('div', { class: 'pager' }, this.prev, this.pageInfo, this.next);
    this.el = h('div', { class: 'stage', 'data-testid': 'stage' }, this.strip, this.big, this.grid, this.pager);
  }

  private turn(d: number): void {
    const s = this.ctx.state;
    s.page = Math.max(0, Math.min(s.pages - 1, s.page + d));
    this.ctx.render();
  }

  private tile(p: Participant, source: Track.Source): Tile {
    const key = `${p.identity}\u0000${source}`;
    let t = this.tiles.get(key);
    if (!t) {
      t = new Tile(p.identity, source);
      this.tiles.set(key, t);
    }
    return t;
  }

  render(): void {
    const { room, state } = this.ctx;
    const remotes = [...room.remoteParticipants.values()].sort(byJoin);
    const parts: Participant[] = [room.localParticipant, ...remotes];
    const live = new Set<Tile>();
    const speaking = new Set(room.activeSpeakers.map((p) => p.identity));
    const use = (p: Participant, src: Track.Source) => {
      const t = this.tile(p, src);
      t.update(p, state.meta.host || '', speaking.has(p.identity));
      live.add(t);
      return t;
    };

    // a remote screen share wins over our own
    const sharer =
      remotes.find((p) => p.getTrackPublication(Track.Source.ScreenShare)) ??
      (room.localParticipant.getTrackPublication(Track.Source.ScreenShare) ? room.localParticipant : undefined);
    const shareTile = sharer ? use(sharer, Track.Source.ScreenShare) : undefined;

    this.el.dataset.view = state.view;
    this.el.classList.toggle('has-big', state.view === 'speaker' || !!shareTile);
    if (state.view === 'gallery') {
      const g = galleryPage(parts.length, state.page, PAGE_SIZE);
      state.pages = g.pages;
      state.page = g.page;
      const onPage = parts.slice(g.start, g.end);
      this.grid.style.setProperty('--cols', String(g.cols));
      this.grid.style.setProperty('--rows', String(g.rows));
      place(this.grid, onPage.map((p) => use(p, Track.Source.Camera).el));
      place(this.big, shareTile ? [shareTile.el] : []);
      place(this.strip, []);
      this.pager.hidden = state.pages < 2;
      this.pageInfo.textContent = `${state.page + 1} / ${state.pages}`;
      this.prev.disabled = state.page === 0;
      this.next.disabled = state.page >= state.pages - 1;
    } else {
      let main: Participant | undefined;
      if (!shareTile) {
        const active = room.activeSpeakers.map((p) => p.identity);
        state.speaker = pickSpeaker(active, remotes.map((p) => p.identity), state.speaker, room.localParticipant.identity);
        main = remotes.find((p) => p.identity === state.speaker) ?? room.localParticipant;
      }
      const bigTile = shareTile ?? use(main!, Track.Source.Camera);
      const others = parts.filter((p) => p !== main);
      place(this.big, [bigTile.el]);
      place(this.strip, others.map((p) => use(p, Track.Source.Camera).el));
      place(this.grid, []);
      this.pager.hidden = true;
    }
    for (const [key, t] of this.tiles) {
      if (!live.has(t)) {
        t.dispose();
        this.tiles.delete(key);
      }
    }
  }
}

/** place sets the children of box to els, touching the DOM only when the order changed. */
function place(box: HTMLElement, els: HTMLElement[]): void {
  const cur = box.children;
  if (cur.length === els.length && els.every((e, i) => cur[i] === e)) return;
  box.replaceChildren(...els);
}
