import type { XapiResponse } from './types.ts';

/** xAPI 2.0 Part Three §2.8 "About Resource": the versions this LRS speaks, newest first. */
export function aboutResponse(): XapiResponse {
  return {
    status: 200,
    body: {
      version: ['2.0.0', '1.0.3', '1.0.2', '1.0.1', '1.0.0'],
      extensions: { 'https://crest.dev/xapi/extensions/lrs': { name: 'Crest', multiTenant: true } },
    },
  };
}
