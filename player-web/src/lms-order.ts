import type { TocItem } from './contract.ts';
import type { Player } from './player.ts';
import { prerequisitesMet } from './prerequisites.ts';

/* Where the LMS may go without a sequencing tree: manifest order, and SCORM 1.2 prerequisites. */

export function available(p: Player, item: TocItem): boolean {
  if (!p.v12) return true;
  return prerequisitesMet(item.prerequisites, (id) =>
    p.items.some((i) => i.id === id) ? p.records.status(id) : undefined,
  );
}

/** The next (1) or previous (-1) available item after `id`. */
export function neighbour(p: Player, id: string | null, step: 1 | -1): TocItem | undefined {
  const { items } = p;
  let i = items.findIndex((x) => x.id === id);
  for (i += step; i >= 0 && i < items.length; i += step) if (available(p, items[i]!)) return items[i];
  return undefined;
}

/** The runtime's `current` (the suspended SCO) if available, else the first available item. */
export function pickFirst(p: Player): TocItem | undefined {
  const current = p.items.find((i) => i.id === p.launch.current);
  if (current && available(p, current)) return current;
  return p.items.find((i) => available(p, i));
}
