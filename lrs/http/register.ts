import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../control/authenticator.ts';
import { AppError } from '../../core/errors.ts';
import { authenticateHeader, BASIC_CHALLENGE } from '../../server/auth.ts';
import { parseVersionHeader, type XapiVersion } from '../input/version.ts';
import { aboutResponse } from './about.ts';
import { rewriteAlternateSyntax } from './alternate-syntax.ts';
import { consistentThrough } from './consistency.ts';
import type { XapiDeps, XapiRequest, XapiResponse, XapiRouteTable } from './types.ts';

/** Headers a browser-based client must be allowed to send and to read (xAPI 2.0 Part Three §1.3 CORS). */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'X-Experience-API-Version',
  'If-Match',
  'If-None-Match',
  'X-Request-Id',
];
const EXPOSED_HEADERS = [
  'ETag',
  'Last-Modified',
  'X-Experience-API-Version',
  'X-Experience-API-Consistent-Through',
  'Content-Type',
  'X-Request-Id',
];

function firstValues(obj: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value !== undefined) out[k] = String(value);
  }
  return out;
}

export interface XapiHttpOptions {
  authenticator: Authenticator;
  routes: XapiRouteTable;
  deps: XapiDeps;
  bodyLimit: number;
  /** Overrides the base URL derived from the Host header (CREST_PUBLIC_URL). */
  publicUrl?: string | undefined;
  /** Reported on responses to requests that named no version (CREST_XAPI_DEFAULT_VERSION). */
  defaultVersion: XapiVersion;
}

/**
 * Mounts the LRS under /xapi. Bodies arrive as raw Buffers, because xAPI documents may be any content
 * type and statements need their exact bytes (signatures, multipart); each resource parses its own.
 */
export async function registerXapi(app: FastifyInstance, options: XapiHttpOptions): Promise<void> {
  await app.register(async (xapi) => {
    await xapi.register(cors, {
      origin: true,
      credentials: true,
      methods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 86400,
    });
    xapi.removeAllContentTypeParsers();
    xapi.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    xapi.addHook('onSend', async (request, reply) => {
      const version =
        (request as FastifyRequest & { xapiVersion?: string }).xapiVersion ?? options.defaultVersion;
      reply.header('x-experience-api-version', version);
    });
    xapi.route({
      method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
      url: '/xapi/*',
      handler: async (request, reply) => {
        await handle(request, reply, options);
        return reply;
      },
    });
  });
}

async function handle(request: FastifyRequest, reply: FastifyReply, options: XapiHttpOptions): Promise<void> {
  const resource = ((request.params as { '*': string })['*'] ?? '').replace(/\/+$/, '');
  const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  let input = {
    method: request.method as XapiRequest['method'],
    query: firstValues(request.query as Record<string, unknown>),
    headers: firstValues(request.headers as Record<string, unknown>),
    body: rawBody,
    contentType: (request.headers['content-type'] ?? '').toLowerCase(),
  };

  if (resource === 'about' && (input.method === 'GET' || input.method === 'HEAD')) {
    // xAPI 2.0 Part Three §2.8: /about needs neither credentials nor a version header.
    (request as FastifyRequest & { xapiVersion?: string }).xapiVersion = safeVersion(
      input.headers,
      options.defaultVersion,
    );
    return send(reply, aboutResponse(), input.method);
  }

  // With the alternate syntax the version (and credentials) may arrive only as form fields, so the
  // request is rewritten before the version is read.
  const alternate = rewriteAlternateSyntax(input);
  if (alternate) input = alternate;
  if (resource === 'statements' && (input.method === 'GET' || input.method === 'HEAD')) {
    // Set before anything can fail, so error responses carry it too (the ADL suite polls on it).
    reply.header('x-experience-api-consistent-through', consistentThrough());
  }
  const version = parseVersionHeader(input.headers['x-experience-api-version']);
  (request as FastifyRequest & { xapiVersion?: string }).xapiVersion = version;
  if (alternate && version === '2.0.0') {
    throw new AppError(
      'BAD_REQUEST',
      'The alternate request syntax (?method=) was removed in xAPI 2.0; send a normal request.',
    );
  }

  const route = options.routes[resource]?.[input.method === 'HEAD' ? 'GET' : input.method];
  if (!route) {
    if (options.routes[resource]) {
      throw new AppError('METHOD_NOT_ALLOWED', `Method ${input.method} is not allowed on /xapi/${resource}.`);
    }
    throw new AppError('NOT_FOUND', `No xAPI resource /xapi/${resource}.`);
  }

  let principal: Awaited<ReturnType<typeof authenticateHeader>>;
  try {
    principal = await authenticateHeader(options.authenticator, input.headers.authorization, route.scopes);
  } catch (err) {
    if ((err as AppError).code === 'UNAUTHENTICATED') reply.header('www-authenticate', BASIC_CHALLENGE);
    throw err;
  }

  const baseUrl = options.publicUrl
    ? `${options.publicUrl.replace(/\/$/, '')}/xapi`
    : `${request.protocol}://${request.host}/xapi`;
  const response = await route.handler(
    { ...input, resource, version, principal, tenant: principal.tenant, baseUrl },
    options.deps,
  );
  return send(reply, response, input.method);
}

function safeVersion(headers: Record<string, string>, fallback: XapiVersion): string {
  try {
    return parseVersionHeader(headers['x-experience-api-version']);
  } catch {
    return fallback;
  }
}

function send(reply: FastifyReply, response: XapiResponse, method: string): void {
  reply.status(response.status);
  for (const [k, v] of Object.entries(response.headers ?? {})) reply.header(k, v);
  if (response.body === undefined || response.status === 204) {
    reply.send();
    return;
  }
  if (Buffer.isBuffer(response.body)) {
    reply.send(method === 'HEAD' ? undefined : response.body);
    return;
  }
  const json = JSON.stringify(response.body);
  reply.header('content-type', 'application/json; charset=utf-8');
  if (method === 'HEAD') {
    reply.header('content-length', Buffer.byteLength(json));
    reply.send();
    return;
  }
  reply.send(json);
}
