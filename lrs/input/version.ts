import { AppError } from '../../core/errors.ts';

/** The two xAPI families Crest speaks, named by the version it reports for each. */
export type XapiVersion = '1.0.3' | '2.0.0';

export const SUPPORTED_VERSIONS: readonly XapiVersion[] = ['1.0.3', '2.0.0'];

/**
 * xAPI 1.0.3 Part Three §6.2 / xAPI 2.0 §3.3 "Versioning": every request but /about carries
 * X-Experience-API-Version. Any 1.0.x (including "1.0", and 1.0.2 as Articulate Storyline sends it) is
 * served as 1.0.3; any 2.0.x as 2.0.0. Anything else is refused with 400.
 */
export function parseVersionHeader(value: string | string[] | undefined): XapiVersion {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') {
    throw new AppError('BAD_REQUEST', 'Missing X-Experience-API-Version header (send "2.0.0" or "1.0.3").', {
      header: 'X-Experience-API-Version',
    });
  }
  const t = v.trim();
  if (/^1\.0(\.\d+)?$/.test(t)) return '1.0.3';
  if (/^2\.0(\.\d+)?$/.test(t)) return '2.0.0';
  throw new AppError(
    'BAD_REQUEST',
    `Unsupported X-Experience-API-Version "${t}": this LRS speaks 2.0.x and 1.0.x.`,
    {
      header: 'X-Experience-API-Version',
    },
  );
}
