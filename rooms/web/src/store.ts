// Small wrappers around localStorage: the operator token, the user's name and the host
// key of each meeting this browser created or opened through its host link (so that
// browser joins as host).

const TOKEN = 'rg.operatorToken';
const NAME = 'rg.name';
const HOST_KEY = 'rg.hostKey.';

function get(key: string): string {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

function set(key: string, value: string): void {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
    // storage disabled (private mode): the value just is not remembered
  }
}

export const store = {
  token: () => get(TOKEN),
  setToken: (v: string) => set(TOKEN, v.trim()),
  name: () => get(NAME),
  setName: (v: string) => set(NAME, v.trim()),
  hostKey: (id: string) => get(HOST_KEY + id),
  setHostKey: (id: string, v: string) => set(HOST_KEY + id, v),
  /** ownerKey is the credential that makes this browser the meeting's owner: its host key, else the operator token. */
  ownerKey: (id: string) => get(HOST_KEY + id) || get(TOKEN),
};

/** A host key as the gateway makes them (base64url); anything else is not one. */
const KEY_RE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * hostKeyFrom reads a host key typed or pasted by the user: the key itself or a
 * whole host link (…/m/ID#host=KEY). '' when it is neither.
 */
export function hostKeyFrom(input: string): string {
  const s = input.trim();
  const i = s.indexOf('#');
  const k = i >= 0 ? new URLSearchParams(s.slice(i + 1)).get('host') || '' : s;
  return KEY_RE.test(k) ? k : '';
}

/**
 * takeHostLink reads the host key from the page's fragment (#host=KEY, as the host
 * link carries it), keeps it for meeting id and removes the fragment from the
 * address bar, so that a copied address never carries the key. The browser never
 * sent the fragment to the server.
 */
export function takeHostLink(id: string): void {
  if (!location.hash) return;
  const key = new URLSearchParams(location.hash.slice(1)).get('host');
  if (key === null) return;
  history.replaceState(history.state, '', location.pathname + location.search);
  if (KEY_RE.test(key)) store.setHostKey(id, key);
}
