// REST client for the roomgate API v1 (docs/api.md). Every credential travels as
// "Authorization: Bearer <credential>"; errors come back as {"error":{code,message}}.

export interface Settings {
  locked: boolean;
  waiting_room: boolean;
  mute_on_entry: boolean;
  allow_self_unmute: boolean;
  share_host_only: boolean;
}

export interface Meeting {
  id: string;
  topic: string;
  password?: string;
  hardware_password?: string;
  host_key?: string;
  /** the host link (owners only): public_url/m/ID#host=KEY */
  host_url?: string;
  start_time: string | null;
  duration_minutes: number;
  settings?: Settings;
}

/** Public view of a meeting (GET /meetings/{id} without credentials). */
export interface PublicMeeting {
  id: string;
  topic: string;
  has_password?: boolean;
  password?: string;
  start_time: string | null;
  duration_minutes: number;
  live?: boolean;
}

export interface Info {
  version: string;
  public_host: string;
  livekit_url: string;
  open_create: boolean;
  /** STUN/TURN URLs for browsers: an array (maybe empty) in embedded mode, null with an external core. */
  ice_servers?: string[] | null;
}

export interface Invitation {
  meeting_id: string;
  topic: string;
  web_url: string;
  password?: string;
  hardware_password?: string;
  /** the host link, for the owner only (never in text) */
  host_url?: string;
  sip: string[];
  h323: string[];
  text: string;
}

export interface Joined {
  status: 'joined';
  token: string;
  livekit_url: string;
  identity: string;
  session: string;
  host: boolean;
}

export interface Waiting {
  status: 'waiting';
  ticket: string;
}

export interface WaitingEntry {
  ticket: string;
  name: string;
  since: string;
}

export interface Participant {
  identity: string;
  name: string;
  kind: 'web' | 'sip' | 'h323';
  host: boolean;
  audio_muted: boolean;
  video_muted: boolean;
  screen_sharing: boolean;
  /** a room system's network diagnostics (hosts only) */
  network?: Network;
}

/** One direction of media (docs/api.md "Network"). */
export interface Traffic {
  packets: number;
  lost: number;
  jitter_ms: number;
}

export interface MediaNetwork {
  signalled: string;
  observed: string;
  latched: boolean;
  sending_to: string;
  dropped: number;
  rx: Traffic;
  tx: Traffic;
}

/** A room-system call's network diagnostics: NAT/ALG profile, addresses, traffic. */
export interface Network {
  profile: string;
  signalling: { signalled: string; observed: string };
  media: Record<string, MediaNetwork>;
  alg_suspected: boolean;
  alg_reason?: string;
  behind_nat: boolean;
  advertised: string;
  latch: string;
  trust_signalled: boolean;
  rx: Traffic;
  tx: Traffic;
}

/** State of a room-system call (docs/api.md "Call"). */
export type CallState = 'calling' | 'ringing' | 'connected' | 'busy' | 'declined' | 'no_answer' | 'failed' | 'ended';

export interface Call {
  id: string;
  meeting_id: string;
  direction: 'in' | 'out';
  protocol: 'sip' | 'h323';
  address: string;
  display_name: string;
  state: CallState;
  /** final SIP status (or Q.931 cause); absent while the call is not final */
  status?: number;
  reason?: string;
  identity?: string;
  vendor?: string;
  product?: string;
  codecs?: string[];
  started_at: string;
  answered_at?: string;
  ended_at?: string;
}

/** ActiveCall is a live room-system call with its network diagnostics (GET /calls). */
export interface ActiveCall extends Call {
  network?: Network;
}

/** Body of POST /meetings/{id}/dialout. */
export interface DialRequest {
  protocol: 'sip' | 'h323';
  address: string;
  display_name?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter = 0,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Response<T> {
  status: number;
  data: T;
}

/** Api wraps fetch for one server origin. */
export class Api {
  constructor(private readonly base = '') {}

  async call<T>(method: string, path: string, opts: { auth?: string; body?: unknown } = {}): Promise<Response<T>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (opts.auth) headers.Authorization = `Bearer ${opts.auth}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: globalThis.Response;
    try {
      res = await fetch(this.base + '/api/v1' + path, { method, headers, body });
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the server: ${(e as Error).message}`);
    }
    const text = await res.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
      const retry = Number(res.headers.get('Retry-After') || 0);
      throw new ApiError(res.status, err?.code || `http_${res.status}`, err?.message || res.statusText, retry);
    }
    return { status: res.status, data: data as T };
  }

  info() {
    return this.call<Info>('GET', '/info').then((r) => r.data);
  }
  createMeeting(body: Record<string, unknown>, auth?: string) {
    return this.call<Meeting>('POST', '/meetings', { auth, body }).then((r) => r.data);
  }
  meeting(id: string, auth?: string) {
    return this.call<PublicMeeting>('GET', `/meetings/${enc(id)}`, { auth }).then((r) => r.data);
  }
  patchMeeting(id: string, body: Record<string, unknown>, auth: string) {
    return this.call<Meeting>('PATCH', `/meetings/${enc(id)}`, { auth, body }).then((r) => r.data);
  }
  invitation(id: string, auth?: string) {
    return this.call<Invitation>('GET', `/meetings/${enc(id)}/invitation`, { auth }).then((r) => r.data);
  }
  /** join asks to join; auth: the operator token of a signed-in operator (joins as host). */
  join(id: string, body: { name: string; password?: string; host_key?: string }, auth?: string) {
    return this.call<Joined | Waiting>('POST', `/meetings/${enc(id)}/join`, { auth, body });
  }
  pollTicket(id: string, ticket: string) {
    return this.call<Joined | Waiting>('GET', `/meetings/${enc(id)}/join/${enc(ticket)}`);
  }
  leave(id: string, session: string, successor?: string) {
    const body = successor ? { successor } : {};
    return this.call<void>('POST', `/meetings/${enc(id)}/leave`, { auth: session, body });
  }
  participants(id: string, auth: string) {
    return this.call<{ participants: Participant[] }>('GET', `/meetings/${enc(id)}/participants`, { auth }).then(
      (r) => r.data.participants || [],
    );
  }
  waiting(id: string, auth: string) {
    return this.call<{ waiting: WaitingEntry[] }>('GET', `/meetings/${enc(id)}/waiting`, { auth }).then(
      (r) => r.data.waiting || [],
    );
  }
  decide(id: string, ticket: string, verdict: 'admit' | 'deny', auth: string) {
    return this.call<void>('POST', `/meetings/${enc(id)}/waiting/${enc(ticket)}/${verdict}`, { auth });
  }
  meetingAction(id: string, action: string, auth: string, body?: Record<string, unknown>) {
    return this.call<void>('POST', `/meetings/${enc(id)}/actions/${enc(action)}`, { auth, body: body ?? {} });
  }
  participantAction(id: string, identity: string, action: string, auth: string, body?: Record<string, unknown>) {
    const path = `/meetings/${enc(id)}/participants/${enc(identity)}/${enc(action)}`;
    return this.call<void>('POST', path, { auth, body: body ?? {} });
  }
  /** dialOut invites a room system (202 with the Call in state "calling"). */
  dialOut(id: string, req: DialRequest, auth: string) {
    return this.call<Call>('POST', `/meetings/${enc(id)}/dialout`, { auth, body: req }).then((r) => r.data);
  }
  getCall(callId: string, auth: string) {
    return this.call<Call>('GET', `/calls/${enc(callId)}`, { auth }).then((r) => r.data);
  }
  /** activeCalls lists the live room-system calls (operator token). */
  activeCalls(auth: string) {
    return this.call<{ calls: ActiveCall[] }>('GET', '/calls', { auth }).then((r) => r.data.calls || []);
  }
  /** hangup cancels a call that is still ringing or hangs up a connected one (204). */
  hangup(callId: string, auth: string) {
    return this.call<void>('DELETE', `/calls/${enc(callId)}`, { auth });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** errorText turns an error into a sentence for the user. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message || e.code;
  return e instanceof Error ? e.message : String(e);
}
