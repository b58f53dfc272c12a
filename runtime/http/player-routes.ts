import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../../core/errors.ts';
import { tenantSchema } from '../../core/tenant-name.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { signContentScope } from '../../packager/delivery/content-signing.ts';
import { buildLaunchData } from '../launch-data.ts';
import { type LaunchClaims, verifyLaunchToken } from '../launch-token.ts';
import { getCourseKind } from '../ops/get-course-kind.ts';
import { openLaunch } from '../ops/open-launch.ts';
import { apiBaseOf } from './integrator-routes.ts';
import { parseCommitBody } from './request-bodies.ts';
import type { RuntimeRouteDeps } from './runtime-deps.ts';

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/**
 * runtime/API.md answers player errors flat: {"error": CODE, "message": …, ...details} (e.g. the stored
 * "seq" of a STALE_COMMIT, the "element" and "rule" of a CMI_INVALID), unlike the integrator API's nested
 * {error: {code, message}}; the player is coded against that shape.
 */
function playerError(err: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
  let e: AppError;
  if (isAppError(err)) e = err;
  else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    e = new AppError('PAYLOAD_TOO_LARGE', err.message);
  else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    e = new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the commit as application/json or text/plain.');
  else if (err instanceof SyntaxError || ((err as FastifyError).statusCode ?? 500) < 500)
    e = new AppError('BAD_REQUEST', `Malformed request: ${err.message}`);
  else e = new AppError('INTERNAL');
  if (e.status >= 500) request.log.error({ err }, 'runtime request failed');
  reply.status(e.status).send({ error: e.code, message: e.message, ...e.details });
}

const STATUS = { type: 'string' } as const;
const SCORE = { type: ['number', 'null'] } as const;

/** The commit answer, serialised by fastify's compiled serializer: this is the runtime's hottest route. */
const COMMIT_ANSWER = {
  type: 'object',
  required: ['seq', 'sco', 'course'],
  properties: {
    seq: { type: 'integer' },
    sco: {
      type: 'object',
      required: ['completion', 'success', 'score'],
      properties: { completion: STATUS, success: STATUS, score: SCORE },
    },
    course: {
      type: 'object',
      required: ['completion', 'success', 'score', 'complete'],
      properties: { completion: STATUS, success: STATUS, score: SCORE, complete: { type: 'boolean' } },
    },
  },
} as const;

/**
 * A token keeps its signature after its tenant is deleted: the tenant's schema is gone, so the first query fails
 * (relation does not exist). That is an invalid launch link (401), not a server error.
 */
async function inTokenTenant<T>(
  deps: RuntimeRouteDeps,
  claims: LaunchClaims,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isAppError(err)) throw err;
    const schema = await deps.db
      .ownerTransaction((tx) =>
        tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [tenantSchema(claims.tenant)]),
      )
      .catch(() => undefined);
    if (schema?.rows.length === 0)
      throw new AppError(
        'LAUNCH_TOKEN_INVALID',
        'The launch link is invalid or has expired; ask for a new one.',
      );
    throw err;
  }
}

function contentBaseFor(deps: RuntimeRouteDeps, claims: LaunchClaims, courseId: string, version: number) {
  const scope = `${claims.tenant}/${courseId}/v${version}`;
  const signed = deps.contentSigning
    ? `${signContentScope(deps.contentSigning.key, scope, deps.contentSigning.ttlMs)}/${scope}`
    : scope;
  return `${deps.contentBaseUrl()}/content/${signed}/`;
}

/**
 * The player API (runtime/API.md), on the API origin with the launch token in the path: CORS is open (`*`,
 * no credentials), because the token is the whole authority and it grants one registration only.
 */
export function registerPlayerRoutes(app: FastifyInstance, deps: RuntimeRouteDeps): void {
  app.setErrorHandler(playerError);
  // A commit is hashed as the text it came in (parseCommitBody), and parsed there: the raw text is kept.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });
  // A JSON POST from the content origin is preflighted; sendBeacon's text/plain is not.
  const preflight = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply
      .status(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'Content-Type, X-Request-Id')
      .header('access-control-max-age', '86400')
      .send();
  };
  app.options('/runtime/v1/launch/:token', preflight);
  app.options('/runtime/v1/sessions/:token/commits', preflight);

  app.get('/runtime/v1/launch/:token', async (request: TokenRequest, reply) => {
    const claims = verifyLaunchToken(deps.launchKey, request.params.token);
    const opened = await inTokenTenant(deps, claims, () =>
      withTenant(deps.db, claims.tenant, (tx) =>
        openLaunch(tx, { tenant: claims.tenant, registrationId: claims.registration }),
      ),
    );
    reply.header('cache-control', 'no-store');
    return buildLaunchData(opened, {
      contentBase: contentBaseFor(deps, claims, opened.course.courseId, opened.course.version),
      commitUrl: `${apiBaseOf(deps, request)}/runtime/v1/sessions/${request.params.token}/commits`,
    });
  });

  app.post(
    '/runtime/v1/sessions/:token/commits',
    { schema: { response: { 200: COMMIT_ANSWER } } },
    async (request: TokenRequest, reply) => {
      const claims = verifyLaunchToken(deps.launchKey, request.params.token);
      const body = parseCommitBody(request.body);
      const answer = await inTokenTenant(deps, claims, () =>
        deps.writer.commit({ tenant: claims.tenant, registrationId: claims.registration, ...body }),
      );
      reply.header('cache-control', 'no-store');
      return answer;
    },
  );

  // A short link on the API origin: integrators can hand out /launch/<token> and it lands in the player.
  app.get('/launch/:token', async (request: TokenRequest, reply) => {
    const claims = verifyLaunchToken(deps.launchKey, request.params.token);
    const kind = await inTokenTenant(deps, claims, () =>
      withTenant(deps.db, claims.tenant, (tx) => getCourseKind(tx, claims.registration)),
    );
    if (!kind) throw new AppError('NOT_FOUND', 'This launch link names no registration.');
    const api = encodeURIComponent(apiBaseOf(deps, request));
    reply.redirect(
      `${deps.contentBaseUrl()}/player/launch.html?api=${api}&sv=${kind}#${request.params.token}`,
      302,
    );
  });
}
