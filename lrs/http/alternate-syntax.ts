import { AppError } from '../../core/errors.ts';
import type { XapiRequest } from './types.ts';

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;
const HEADER_FIELDS = new Set([
  'authorization',
  'x-experience-api-version',
  'content-type',
  'content-length',
  'if-match',
  'if-none-match',
]);

/**
 * xAPI 1.0.3 Part Three §1.3 "Alternate Request Syntax": a POST with `?method=X` and a form-encoded
 * body that carries the headers, the content and the other parameters. 2.0 removed it (xAPI 2.0 Part
 * Three §1.3 lists no such syntax), so a 2.0 request using it is refused.
 * Returns the rewritten method, query, headers and body, or undefined when the request is ordinary.
 */
export function rewriteAlternateSyntax(input: {
  method: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Buffer;
  contentType: string;
}): Pick<XapiRequest, 'method' | 'query' | 'headers' | 'body' | 'contentType'> | undefined {
  if (input.query.method === undefined) return undefined;
  if (input.method !== 'POST') {
    throw new AppError('BAD_REQUEST', 'The alternate request syntax (?method=) is only allowed on POST.');
  }
  const target = input.query.method.toUpperCase();
  if (!(METHODS as readonly string[]).includes(target)) {
    throw new AppError(
      'BAD_REQUEST',
      `Unknown method "${input.query.method}" in the alternate request syntax.`,
    );
  }
  if (Object.keys(input.query).length > 1) {
    throw new AppError(
      'BAD_REQUEST',
      'With the alternate request syntax every parameter goes in the form body, not the query string.',
    );
  }
  if (!input.contentType.startsWith('application/x-www-form-urlencoded')) {
    throw new AppError(
      'BAD_REQUEST',
      'The alternate request syntax needs Content-Type: application/x-www-form-urlencoded.',
    );
  }
  const form = new URLSearchParams(input.body.toString('utf8'));
  const headers: Record<string, string> = { ...input.headers };
  delete headers['content-type'];
  const query: Record<string, string> = {};
  let content: string | undefined;
  for (const [rawName, value] of form) {
    const name = rawName.toLowerCase();
    if (name === 'content') content = value;
    else if (HEADER_FIELDS.has(name)) headers[name] = value;
    else query[rawName] = value;
  }
  return {
    method: target as XapiRequest['method'],
    query,
    headers,
    body: Buffer.from(content ?? '', 'utf8'),
    contentType: (headers['content-type'] ?? 'application/json').toLowerCase(),
  };
}
