import type { Cmi5CourseModel } from '../manifest/cmi5-model.ts';
import { listAus } from '../manifest/cmi5-model.ts';
import type { Item, ScormCourseModel } from '../manifest/course-model.ts';

function firstLaunchable(items: readonly Item[]): Item | undefined {
  for (const item of items) {
    if (item.launchUrl) return item;
    const nested = firstLaunchable(item.children ?? []);
    if (nested) return nested;
  }
  return undefined;
}

/** The file a player opens first: the default organization's first launchable item, or the first AU. */
export function launchPathOf(model: ScormCourseModel | Cmi5CourseModel): string | null {
  if (model.standard === 'cmi5') return listAus(model.children)[0]?.url ?? null;
  const org =
    model.organizations.find((o) => o.identifier === model.defaultOrganization) ?? model.organizations[0];
  return (org && firstLaunchable(org.items)?.launchUrl) ?? null;
}
