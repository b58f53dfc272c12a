import type { TocItem } from './contract.ts';

/** The items that can be launched, in document (pre-)order: SCORM 1.2 flow order and the shell's list. */
export function launchables(toc: readonly TocItem[]): TocItem[] {
  const out: TocItem[] = [];
  const walk = (items: readonly TocItem[]) => {
    for (const item of items) {
      if (item.launchUrl) out.push(item);
      if (item.children) walk(item.children);
    }
  };
  walk(toc);
  return out;
}

/** Resolves a launch URL against the content base, keeping the base's signed path and any query. */
export function resolveLaunchUrl(contentBase: string, launchUrl: string): string {
  return new URL(launchUrl, contentBase).href;
}
