// UI state shared by the meeting modules, exposed to tests as window.__rg.state.

import type { Participant, Room } from 'livekit-client';
import type { Api, WaitingEntry } from './api';

/** Room metadata kept by the server (docs/api.md "Live state in the meeting"). */
export interface RoomMeta {
  host?: string;
  locked?: boolean;
  waiting_room?: boolean;
  share_host_only?: boolean;
  allow_self_unmute?: boolean;
  mute_on_entry?: boolean;
  waiting?: number;
  topic?: string;
}

/** Participant metadata kept by the server. */
export interface PartMeta {
  kind?: 'web' | 'sip' | 'h323';
  host?: boolean;
  vendor?: string;
  product?: string;
  version?: string;
}

export interface UiState {
  screen: string;
  meetingId: string;
  identity: string;
  name: string;
  session: string;
  host: boolean;
  connection: string;
  mic: 'muted' | 'unmuted';
  cam: 'on' | 'off';
  sharing: boolean;
  view: 'gallery' | 'speaker';
  page: number;
  pages: number;
  panel: boolean;
  meta: RoomMeta;
  mutedByHost: boolean;
  /** allow_self_unmute from the last muted_by_host message, overriding room metadata */
  selfUnmute: boolean | undefined;
  banner: '' | 'ask_unmute' | 'ask_video';
  waiting: WaitingEntry[];
  speaker: string;
  ended: string;
  error: string;
  [k: string]: unknown;
}

export function newState(): UiState {
  return {
    screen: 'loading',
    meetingId: '',
    identity: '',
    name: '',
    session: '',
    host: false,
    connection: '',
    mic: 'muted',
    cam: 'off',
    sharing: false,
    view: 'gallery',
    page: 0,
    pages: 1,
    panel: false,
    meta: {},
    mutedByHost: false,
    selfUnmute: undefined,
    banner: '',
    waiting: [],
    speaker: '',
    ended: '',
    error: '',
  };
}

/** Ctx is what the toolbar, stage and panel need from the meeting controller. */
export interface Ctx {
  api: Api;
  room: Room;
  state: UiState;
  hostKey: string;
  /** schedule a render of everything (coalesced). */
  render(): void;
  /** run a server action, report failures in the toast. */
  act(what: string, fn: () => Promise<unknown>): Promise<void>;
  setMic(on: boolean): Promise<void>;
  setCam(on: boolean): Promise<void>;
  leave(successor?: string): Promise<void>;
  end(): Promise<void>;
}

export function parseJSON<T>(s: string | undefined): T {
  if (!s) return {} as T;
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? (v as T) : ({} as T);
  } catch {
    return {} as T;
  }
}

export function partMeta(p: Participant): PartMeta {
  return parseJSON<PartMeta>(p.metadata);
}

export function displayName(p: Participant): string {
  return p.name || p.identity;
}

/** kindLabel is the badge for room systems; web participants get none. */
export function kindLabel(m: PartMeta): string {
  if (m.kind === 'sip') return 'SIP';
  if (m.kind === 'h323') return 'H.323';
  return '';
}

/** deviceLabel names a room system's product as it reported it, e.g.
 * "Polycom HDX 8000 HD Release 3.1.0"; the vendor only when the product name lacks it. */
export function deviceLabel(m: PartMeta): string {
  const product = (m.product || '').trim();
  const vendor = (m.vendor || '').trim();
  const parts: string[] = [];
  if (vendor && !product.toLowerCase().includes(vendor.toLowerCase())) parts.push(vendor);
  if (product) parts.push(product);
  if (m.version && m.version.trim()) parts.push(m.version.trim());
  return parts.join(' ').slice(0, 96);
}

/** micLocked tells whether the host muted us and does not let us unmute ourselves. */
export function micLocked(s: UiState): boolean {
  const allowed = s.selfUnmute ?? s.meta.allow_self_unmute ?? true;
  return s.mic === 'muted' && s.mutedByHost && !allowed;
}

/** byJoin orders participants by arrival; ties (same second) by name, numbers numerically. */
export function byJoin(a: Participant, b: Participant): number {
  const d = (a.joinedAt?.getTime() ?? 0) - (b.joinedAt?.getTime() ?? 0);
  return d || displayName(a).localeCompare(displayName(b), undefined, { numeric: true }) || a.identity.localeCompare(b.identity);
}
