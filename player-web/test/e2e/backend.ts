import yauzl from 'yauzl';
import { startFakeRuntime } from '../fake-runtime.ts';

/*
 * What the e2e suites need from a server: import a course, make a launch link, read back what was stored.
 * Until runtime/http lands this is the in-test fake (fake-runtime.ts); afterwards the real `crest serve`.
 */

export interface Backend {
  contentOrigin: string;
  addCourse(zip: Buffer): Promise<string>;
  launch(courseId: string): Promise<{ url: string; registration: string }>;
  /** Whatever the runtime stored per SCO for the registration. */
  stored(registration: string): Promise<Record<string, { cmi: unknown; seq: number }>>;
  setCommitsFailing?(failing: boolean): void;
  close(): Promise<void>;
}

function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const files = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.readEntry();
    });
  });
}

export async function startBackend(): Promise<Backend> {
  const rt = await startFakeRuntime();
  return {
    contentOrigin: rt.contentOrigin,
    async addCourse(zip) {
      return rt.addCourse(await unzip(zip));
    },
    async launch(courseId) {
      const reg = rt.register(courseId);
      return { url: rt.launchUrl(reg), registration: reg.id };
    },
    async stored(registration) {
      const reg = rt.registrations.get(registration)!;
      return Object.fromEntries(Object.entries(reg.scos).map(([k, v]) => [k, { cmi: v.cmi, seq: v.seq }]));
    },
    setCommitsFailing(failing) {
      rt.failing = failing;
    },
    close: () => rt.close(),
  };
}
