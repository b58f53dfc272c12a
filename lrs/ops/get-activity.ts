import type { Tx } from '../../db/database.ts';

export interface GetActivityInput {
  activityIri: string;
}

export interface ActivityObject {
  objectType: 'Activity';
  id: string;
  definition?: Record<string, unknown>;
}

/**
 * The Activity object for GET /activities (xAPI 1.0.3 Communication §2.5; xAPI 2.0 LRS §4.1.6.4):
 * the canonical definition the statement writer keeps merged in `activities`. An Activity the LRS has
 * never seen is still returned, as `{ objectType, id }` ("SHOULD* still return an Activity Object";
 * the 2.0 suite requires it).
 */
export async function getActivity(tx: Tx, input: GetActivityInput): Promise<ActivityObject> {
  const res = await tx.query<{ definition: Record<string, unknown> | null }>(
    'SELECT definition FROM activities WHERE iri = $1',
    [input.activityIri],
  );
  const definition = res.rows[0]?.definition;
  const activity: ActivityObject = { objectType: 'Activity', id: input.activityIri };
  if (definition && typeof definition === 'object' && Object.keys(definition).length > 0)
    activity.definition = definition;
  return activity;
}
