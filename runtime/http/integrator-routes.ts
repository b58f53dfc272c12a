import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { withTenant } from '../../db/with-tenant.ts';
import { requireAuth } from '../../server/auth.ts';
import { signLaunchToken } from '../launch-token.ts';
import { DEFAULT_MAX_ATTEMPTS } from '../model.ts';
import { createRegistration } from '../ops/create-registration.ts';
import { getCourseKind } from '../ops/get-course-kind.ts';
import { getCourseSettings } from '../ops/get-course-settings.ts';
import { getRegistration, type RegistrationWithAttempts } from '../ops/get-registration.ts';
import { listScoStates } from '../ops/list-sco-states.ts';
import { loadCourseVersion } from '../ops/load-course-version.ts';
import { putCourseSettings } from '../ops/put-course-settings.ts';
import { resetRegistration } from '../ops/reset-registration.ts';
import { setLaunchExit } from '../ops/set-launch-exit.ts';
import { startAttempt } from '../ops/start-attempt.ts';
import { toCsv } from '../report/csv.ts';
import {
  ATTEMPT_COLUMNS,
  attemptRow,
  INTERACTION_COLUMNS,
  interactionRows,
  OBJECTIVE_COLUMNS,
  objectiveRows,
  registrationSummary,
  SCO_COLUMNS,
  scoRows,
} from '../report/report-rows.ts';
import {
  parseCourseSettingsBody,
  parseLaunchLinkBody,
  parseRegistrationBody,
  UUID,
} from './request-bodies.ts';
import type { RuntimeRouteDeps } from './runtime-deps.ts';

type IdRequest = FastifyRequest<{
  Params: { id: string };
  Querystring: { format?: string; attempt?: string };
}>;

function registrationId(raw: string): string {
  if (!UUID.test(raw)) throw new AppError('NOT_FOUND', `No registration ${raw}.`);
  return raw;
}

async function loadRegistration(
  deps: RuntimeRouteDeps,
  request: IdRequest,
): Promise<RegistrationWithAttempts> {
  const id = registrationId(request.params.id);
  const found = await withTenant(deps.db, request.principal!.tenant, (tx) => getRegistration(tx, id));
  if (!found) throw new AppError('NOT_FOUND', `No registration ${id}.`);
  return found;
}

/** CSV with ?format=csv or Accept: text/csv (the JSON stays the default). */
function wantsCsv(request: IdRequest): boolean {
  if (request.query.format === 'csv') return true;
  if (request.query.format !== undefined && request.query.format !== 'json')
    throw new AppError('BAD_REQUEST', 'format must be csv or json.');
  return /\btext\/csv\b/.test(request.headers.accept ?? '');
}

function sendRows(
  request: IdRequest,
  reply: FastifyReply,
  name: string,
  columns: readonly string[],
  rows: Record<string, unknown>[],
  json: unknown,
) {
  if (!wantsCsv(request)) return json;
  reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${request.params.id}.csv"`);
  return toCsv(columns, rows);
}

/** The attempt a report is about: ?attempt=n, else the current (last) one. */
function pickAttempt(found: RegistrationWithAttempts, raw: string | undefined) {
  if (raw === undefined) return found.attempts.at(-1);
  const n = Number(raw);
  const a = found.attempts.find((x) => x.number === n);
  if (!a) throw new AppError('NOT_FOUND', `Registration ${found.registration.id} has no attempt ${raw}.`);
  return a;
}

export function apiBaseOf(deps: RuntimeRouteDeps, request: FastifyRequest): string {
  return (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/$/, '');
}

/**
 * The integrator API (runtime/API.md): registrations, launch links, attempts, reset and reports, with a
 * tenant key (scope `all` to write, `all/read` to read). Every query runs in the key's tenant, so another
 * tenant's registration id is simply not found.
 */
export function registerIntegratorRoutes(app: FastifyInstance, deps: RuntimeRouteDeps): void {
  const write = requireAuth(deps.authenticator, 'all');
  const read = requireAuth(deps.authenticator, 'all/read');

  app.post('/api/v1/registrations', { preHandler: write }, async (request, reply) => {
    const body = parseRegistrationBody(request.body);
    const tenant = request.principal!.tenant;
    const { registration, created } = await withTenant(deps.db, tenant, (tx) =>
      createRegistration(tx, { tenant, ...body }),
    );
    reply.status(created ? 201 : 200).header('location', `/api/v1/registrations/${registration.id}`);
    return registration;
  });

  const courseId = (raw: string) => {
    if (!UUID.test(raw)) throw new AppError('NOT_FOUND', `No course ${raw}.`);
    return raw;
  };
  app.get('/api/v1/courses/:id/runtime-settings', { preHandler: read }, async (request: IdRequest) => {
    const id = courseId(request.params.id);
    const settings = await withTenant(deps.db, request.principal!.tenant, (tx) => getCourseSettings(tx, id));
    if (!settings) throw new AppError('NOT_FOUND', `No course ${id}.`);
    return { ...settings, defaultMaxAttempts: DEFAULT_MAX_ATTEMPTS };
  });
  app.put('/api/v1/courses/:id/runtime-settings', { preHandler: write }, async (request: IdRequest) => {
    const id = courseId(request.params.id);
    const body = parseCourseSettingsBody(request.body);
    return withTenant(deps.db, request.principal!.tenant, (tx) =>
      putCourseSettings(tx, { courseId: id, ...body }),
    );
  });

  app.get('/api/v1/registrations/:id', { preHandler: read }, async (request: IdRequest) => {
    const found = await loadRegistration(deps, request);
    return registrationSummary(found.registration, found.attempts);
  });

  app.post(
    '/api/v1/registrations/:id/launch-links',
    { preHandler: write },
    async (request: IdRequest, reply) => {
      const body = parseLaunchLinkBody(request.body);
      const id = registrationId(request.params.id);
      const tenant = request.principal!.tenant;
      const kind = await withTenant(deps.db, tenant, async (tx) =>
        (await setLaunchExit(tx, id, body.exitUrl)) ? getCourseKind(tx, id) : undefined,
      );
      if (!kind) throw new AppError('NOT_FOUND', `No registration ${id}.`);
      const expiresAt = Math.floor(Date.now() / 1000) + body.ttlSeconds;
      const token = signLaunchToken(deps.launchKey, { tenant, registration: id, expiresAt });
      const apiBase = apiBaseOf(deps, request);
      reply.status(201);
      return {
        // `sv` tells the launch page which scorm-again build to fetch while the launch data is on its way.
        url: `${deps.contentBaseUrl()}/player/launch.html?api=${encodeURIComponent(apiBase)}&sv=${kind}#${token}`,
        token,
        expiresAt: new Date(expiresAt * 1000).toISOString(),
      };
    },
  );

  app.post('/api/v1/registrations/:id/attempts', { preHandler: write }, async (request: IdRequest, reply) => {
    const id = registrationId(request.params.id);
    const attempt = await withTenant(deps.db, request.principal!.tenant, async (tx) => {
      const found = await getRegistration(tx, id, { lock: true });
      if (!found) throw new AppError('NOT_FOUND', `No registration ${id}.`);
      return startAttempt(tx, found);
    });
    reply.status(201);
    return attemptRow(attempt);
  });

  app.post('/api/v1/registrations/:id/reset', { preHandler: write }, async (request: IdRequest) => {
    const id = registrationId(request.params.id);
    const tenant = request.principal!.tenant;
    const found = await withTenant(deps.db, tenant, async (tx) => {
      if (!(await resetRegistration(tx, id))) throw new AppError('NOT_FOUND', `No registration ${id}.`);
      return getRegistration(tx, id);
    });
    return registrationSummary(found!.registration, found!.attempts);
  });

  app.get('/api/v1/registrations/:id/report', { preHandler: read }, async (request: IdRequest, reply) => {
    const found = await loadRegistration(deps, request);
    const rows = found.attempts.map(attemptRow);
    return sendRows(request, reply, 'report', ATTEMPT_COLUMNS, rows, {
      ...registrationSummary(found.registration, found.attempts),
      attemptHistory: rows,
    });
  });

  const perAttempt = async (request: IdRequest) => {
    const tenant = request.principal!.tenant;
    const id = registrationId(request.params.id);
    return withTenant(deps.db, tenant, async (tx) => {
      const found = await getRegistration(tx, id);
      if (!found) throw new AppError('NOT_FOUND', `No registration ${id}.`);
      const attempt = pickAttempt(found, request.query.attempt);
      const course = await loadCourseVersion(
        tx,
        tenant,
        found.registration.courseId,
        found.registration.version,
      );
      const states = attempt ? await listScoStates(tx, attempt.id) : [];
      return { found, attempt, course: course!, states };
    });
  };

  app.get('/api/v1/registrations/:id/scos', { preHandler: read }, async (request: IdRequest, reply) => {
    const { attempt, course, states } = await perAttempt(request);
    const rows = scoRows(course, states);
    return sendRows(request, reply, 'scos', SCO_COLUMNS, rows, {
      attempt: attempt?.number ?? null,
      scos: rows,
    });
  });

  app.get(
    '/api/v1/registrations/:id/interactions',
    { preHandler: read },
    async (request: IdRequest, reply) => {
      const { attempt, course, states } = await perAttempt(request);
      const rows = interactionRows(course.standard, states);
      return sendRows(request, reply, 'interactions', INTERACTION_COLUMNS, rows, {
        attempt: attempt?.number ?? null,
        interactions: rows,
      });
    },
  );

  app.get('/api/v1/registrations/:id/objectives', { preHandler: read }, async (request: IdRequest, reply) => {
    const { attempt, course, states } = await perAttempt(request);
    const rows = objectiveRows(course.standard, states);
    return sendRows(request, reply, 'objectives', OBJECTIVE_COLUMNS, rows, {
      attempt: attempt?.number ?? null,
      objectives: rows,
    });
  });
}
