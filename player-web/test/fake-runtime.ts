import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import mime from 'mime';
import type { Item } from '../../packager/manifest/course-model.ts';
import { toScormAgainSequencing } from '../../packager/manifest/scorm-again-sequencing.ts';
import { parseScormManifest } from '../../packager/manifest/scorm-manifest.ts';
import { registerPlayerRoutes } from '../player-routes.ts';
import type { CommitBody, Launch, TocItem } from '../src/contract.ts';

/*
 * TEMPORARY SCAFFOLD, per the brief: the two player routes of runtime/API.md, faked in memory, so the
 * shell can be built and tested before runtime/http lands. The e2e suites run against the real server
 * (test/cli-runner.ts startServer) once it does; this file then goes.
 */

interface Registration {
  id: string;
  courseId: string;
  attemptId: string;
  scos: Record<string, { cmi: unknown; seq: number; body: string; exit?: string }>;
  sequencingState: unknown;
  suspendedSco: string | null;
  commits: CommitBody[];
}

interface Course {
  id: string;
  files: Map<string, Buffer>;
  launch: Pick<Launch, 'course' | 'toc' | 'sequencing'>;
}

function toToc(items: Item[]): TocItem[] {
  return items.map((i) => ({
    id: i.identifier,
    title: i.title,
    launchUrl: i.launchUrl ?? null,
    scormType: i.scormType ?? null,
    isvisible: i.isvisible,
    children: toToc(i.children),
    masteryScore: i.masteryScore ?? null,
    prerequisites: i.prerequisites?.expression ?? null,
    maxTimeAllowed: i.maxTimeAllowed ?? null,
    timeLimitAction: i.timeLimitAction ?? null,
    dataFromLms: i.dataFromLms ?? null,
  }));
}

function flat(toc: TocItem[]): TocItem[] {
  return toc.flatMap((t) => [...(t.launchUrl ? [t] : []), ...flat(t.children ?? [])]);
}

export interface FakeRuntime {
  contentOrigin: string;
  apiOrigin: string;
  content: FastifyInstance;
  addCourse(files: Map<string, Buffer>): string;
  register(courseId: string): Registration;
  launchUrl(reg: Registration): string;
  registrations: Map<string, Registration>;
  /** Makes the commit route answer 503 while true. */
  failing: boolean;
  close(): Promise<void>;
}

export async function startFakeRuntime(): Promise<FakeRuntime> {
  const courses = new Map<string, Course>();
  const registrations = new Map<string, Registration>();
  const content = Fastify();
  registerPlayerRoutes(content);
  content.get('/content/:course/*', async (req, reply) => {
    const { course, '*': file } = req.params as { course: string; '*': string };
    const data = courses.get(course)?.files.get(file);
    if (!data) return reply.status(404).send('not found');
    reply.header('content-type', mime.getType(file) ?? 'application/octet-stream');
    return reply.send(data);
  });
  const api = Fastify({ bodyLimit: 4 * 1024 * 1024 });
  await api.register(cors, { origin: '*' });
  api.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(e as Error);
    }
  });
  const self: FakeRuntime = {
    contentOrigin: '',
    apiOrigin: '',
    content,
    registrations,
    failing: false,
    addCourse(files) {
      const id = randomUUID();
      const parsed = parseScormManifest(files.get('imsmanifest.xml')!, {
        file: 'imsmanifest.xml',
        archiveFiles: new Set(files.keys()),
      });
      const model = parsed.model;
      if (!model) throw new Error(JSON.stringify(parsed.report));
      const org = model.organizations.find((o) => o.identifier === model.defaultOrganization)!;
      courses.set(id, {
        id,
        files,
        launch: {
          course: {
            id,
            version: 1,
            title: model.title,
            standard: model.version === '1.2' ? 'scorm12' : 'scorm2004',
            scormVersion: model.version,
          },
          toc: toToc(org.items),
          sequencing: toScormAgainSequencing(model).sequencing,
        },
      });
      return id;
    },
    register(courseId) {
      const r: Registration = {
        id: randomUUID(),
        courseId,
        attemptId: randomUUID(),
        scos: {},
        sequencingState: null,
        suspendedSco: null,
        commits: [],
      };
      registrations.set(r.id, r);
      return r;
    },
    launchUrl(reg) {
      return `${self.contentOrigin}/player/launch.html?api=${encodeURIComponent(self.apiOrigin)}#${reg.id}`;
    },
    async close() {
      await content.close();
      await api.close();
    },
  };

  api.get('/runtime/v1/launch/:token', async (req, reply) => {
    const reg = registrations.get((req.params as { token: string }).token);
    if (!reg) return reply.status(401).send({ error: 'LAUNCH_TOKEN_INVALID', message: 'no' });
    const course = courses.get(reg.courseId)!;
    const items = flat(course.launch.toc);
    const scos: Launch['scos'] = {};
    for (const [id, s] of Object.entries(reg.scos))
      scos[id] = {
        cmi: s.cmi as Record<string, unknown>,
        seq: s.seq,
        entry: s.exit === 'suspend' ? 'resume' : '',
      };
    const launch: Launch = {
      registration: reg.id,
      attempt: 1,
      attemptId: reg.attemptId,
      learner: { id: 'learner-1', name: 'Learner, Test' },
      ...course.launch,
      contentBase: `${self.contentOrigin}/content/${course.id}/`,
      sequencingState: reg.sequencingState,
      scos,
      current: reg.suspendedSco ?? items[0]?.id ?? null,
      exitUrl: null,
      commitUrl: `${self.apiOrigin}/runtime/v1/sessions/${reg.id}/commits`,
    };
    return launch;
  });

  api.post('/runtime/v1/sessions/:token/commits', async (req, reply) => {
    if (self.failing) return reply.status(503).send({ error: 'UNAVAILABLE' });
    const reg = registrations.get((req.params as { token: string }).token);
    if (!reg) return reply.status(401).send({ error: 'LAUNCH_TOKEN_INVALID' });
    const body = req.body as CommitBody;
    const text = JSON.stringify(body.cmi);
    const stored = reg.scos[body.sco];
    if (stored && body.seq <= stored.seq) {
      if (body.seq === stored.seq && text === stored.body) return answer(reg, body);
      return reply.status(409).send({ error: 'STALE_COMMIT', seq: stored.seq });
    }
    const cmi = body.cmi as Record<string, Record<string, unknown>>;
    const exit = String(cmi.core?.exit ?? cmi.exit ?? '');
    reg.scos[body.sco] = { cmi: body.cmi, seq: body.seq, body: text, exit };
    if (body.sequencingState) reg.sequencingState = body.sequencingState;
    if (body.navRequest === 'suspendAll' || exit === 'suspend') reg.suspendedSco = body.sco;
    reg.commits.push(body);
    return answer(reg, body);
  });

  function answer(reg: Registration, body: CommitBody) {
    const course = courses.get(reg.courseId)!;
    const status = (id: string) => {
      const c = reg.scos[id]?.cmi as Record<
        string,
        Record<string, string> & { core?: Record<string, string> }
      >;
      return String(c?.core?.lesson_status ?? c?.success_status ?? c?.completion_status ?? '');
    };
    const done = (s: string) => /^(passed|completed)$/.test(s);
    const complete = flat(course.launch.toc).every((i) => done(status(i.id)));
    return { seq: body.seq, sco: { completion: status(body.sco) }, course: { complete } };
  }

  const c = await content.listen({ host: '127.0.0.1', port: 0 });
  const a = await api.listen({ host: '127.0.0.1', port: 0 });
  self.contentOrigin = c;
  self.apiOrigin = a;
  return self;
}
