// Small wrappers around localStorage: the operator token, the user's name and the host
// key of each meeting this browser created (so the creator joins as host).

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
};
