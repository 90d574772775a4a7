// Room-system calls as the host sees them (docs/api.md "Call"): the line shown on a
// call card, which states are final, which action a card offers, and the address check
// of the "Invite room system" dialog. Pure functions, unit-tested in test/calls.test.mjs.

import type { Call, CallState } from './api';

const FINAL: ReadonlySet<string> = new Set<CallState>(['busy', 'declined', 'no_answer', 'failed', 'ended']);

/** isFinal tells whether a call state can no longer change. */
export function isFinal(state: string): boolean {
  return FINAL.has(state);
}

/** callAction is the button a card offers: cancel while it rings, hang up once connected. */
export function callAction(state: string): 'cancel' | 'hangup' | '' {
  if (state === 'calling' || state === 'ringing') return 'cancel';
  if (state === 'connected') return 'hangup';
  return '';
}

/** callLabel is the state line of a call card, with the final SIP status where it helps. */
export function callLabel(c: Pick<Call, 'state' | 'status' | 'reason'>): string {
  const status = c.status ? String(c.status) : '';
  switch (c.state) {
    case 'calling':
      return 'Calling…';
    case 'ringing':
      return 'Ringing…';
    case 'connected':
      return 'Connected';
    case 'busy':
      return status ? `Busy (${status})` : 'Busy';
    case 'declined':
      return status ? `Declined (${status})` : 'Declined';
    case 'no_answer':
      return 'No answer';
    case 'failed': {
      const why = [status, c.reason || ''].filter(Boolean).join(' ');
      return why ? `Failed (${why})` : 'Failed';
    }
    case 'ended':
      return /^cancel/i.test(c.reason || '') ? 'Cancelled' : 'Ended';
    default:
      return String(c.state || 'Unknown');
  }
}

// host[:port] where host is a name, an IPv4 address or a bracketed IPv6 address.
const HOSTPORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;

/**
 * checkAddress returns why a dial-out address cannot be used, or "" when it can. SIP
 * takes a sip:/sips: URI or user@host[:port] (the server adds "sip:"); URI parameters
 * after ";" are passed on unchecked.
 */
export function checkAddress(protocol: string, address: string): string {
  const a = address.trim();
  if (protocol !== 'sip') return 'Only SIP room systems can be invited for now';
  if (!a) return 'Enter the room system’s address, e.g. sip:room@example.com';
  if (/[\s<>"]/.test(a)) return 'The address must not contain spaces, quotes or angle brackets';
  let rest = a.replace(/^sips?:/i, '');
  const at = rest.lastIndexOf('@');
  if (at === 0) return 'The user part before “@” is empty';
  if (at > 0) rest = rest.slice(at + 1);
  const host = rest.split(';')[0] ?? '';
  const m = HOSTPORT.exec(host);
  if (!host || !m) return `“${host || a}” is not a host name or address`;
  if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) return `Port ${m[1]} is out of range`;
  return '';
}
