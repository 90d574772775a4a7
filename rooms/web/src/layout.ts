// Pure layout arithmetic for the stage, kept apart from the DOM so it can be unit tested.

export const PAGE_SIZE = 25;

export interface GalleryPage {
  pages: number;
  page: number;
  start: number;
  end: number;
  cols: number;
  rows: number;
}

/**
 * galleryPage splits count tiles into pages of size and lays the requested page
 * (clamped into range) out as a near-square grid: cols = ceil(sqrt(n)).
 */
export function galleryPage(count: number, page: number, size = PAGE_SIZE): GalleryPage {
  const pages = Math.max(1, Math.ceil(count / size));
  const p = Math.max(0, Math.min(Math.floor(page) || 0, pages - 1));
  const start = p * size;
  const end = Math.min(count, start + size);
  const n = end - start;
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / cols));
  return { pages, page: p, start, end, cols, rows };
}

/**
 * pickSpeaker chooses who gets the large tile in speaker view: the loudest remote
 * speaker now, else the last remote speaker still present, else the first remote
 * participant, else ourselves. active is LiveKit's active-speaker order.
 */
export function pickSpeaker(active: string[], remotes: string[], last: string, local: string): string {
  const present = new Set(remotes);
  const talking = active.find((id) => present.has(id));
  if (talking) return talking;
  if (last && present.has(last)) return last;
  return remotes[0] ?? local;
}
