import type { XapiRouteTable } from './types.ts';

/** Every xAPI resource Crest serves, merged from the per-resource tables. */
export function xapiRoutes(...tables: XapiRouteTable[]): XapiRouteTable {
  const merged: XapiRouteTable = {};
  for (const table of tables) {
    for (const [resource, methods] of Object.entries(table)) {
      merged[resource] = { ...merged[resource], ...methods };
    }
  }
  return merged;
}
