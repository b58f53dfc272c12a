import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { AppError } from '../core/errors.ts';
import type { DeadLetter, Job, JobQueue, OutgoingJob, ReceiveOptions } from './job-queue.ts';
import {
  assertMaxAttempts,
  assertQueueName,
  assertReceiveOptions,
  DEFAULT_MAX_ATTEMPTS,
} from './job-queue.ts';

export interface SqsJobQueueOptions {
  /** Set for an SQS-compatible server (tests: fauxqs); unset for AWS. */
  endpoint?: string;
  region: string;
  /** Prepended to every queue name, e.g. `crest-prod-`. Up to 15 characters, so names fit SQS's 80. */
  queuePrefix: string;
  /** Deliveries before a job is dead-lettered. Default 5. */
  maxAttempts?: number;
  credentials?: SQSClientConfig['credentials'];
}

/** A job as it travels in an SQS message body. */
interface Body {
  tenant: string | null;
  payload: unknown;
}

/** A dead letter's body: the job, its original id, and how it ended. */
interface DeadBody extends Body {
  id: string;
  attempts: number;
  lastError: string | null;
}

const SQS_BATCH_ENTRIES = 10;
/** SQS's classic batch limit. AWS raised it to 1 MiB in 2025; 256 KiB is safe everywhere. */
const SQS_BATCH_BYTES = 256 * 1024;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 43_200;
/** 14 days, SQS's longest: dead letters wait for a person to look at them. */
const RETENTION_SECONDS = '1209600';
const MAX_ERROR_LENGTH = 4000;
const QUEUE_PREFIX = /^[A-Za-z0-9_-]{0,15}$/;

/** SQS takes whole seconds. Round up, so a job is never visible before the time asked for. */
function toSeconds(ms: number, max: number): number {
  return Math.min(max, Math.ceil(ms / 1000));
}

/**
 * JSON for an SQS body. SQS accepts only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF,
 * and JSON.stringify emits U+FFFE/U+FFFF raw; fauxqs also refuses astral characters (emoji). Escaping
 * everything outside the BMP-safe set keeps the text valid JSON that every SQS server accepts.
 */
function encodeBody(body: Body | DeadBody): string {
  return JSON.stringify(body).replace(
    /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function errorName(err: unknown): string {
  return (err as { name?: string }).name ?? '';
}

/** The receipt is from an earlier delivery (or the job is gone): the job is someone else's now. */
function isStaleReceipt(err: unknown): boolean {
  const name = errorName(err);
  return (
    name === 'MessageNotInflight' ||
    name === 'ReceiptHandleIsInvalid' ||
    (name === 'InvalidParameterValue' && /receipt ?handle/i.test((err as Error).message))
  );
}

function parseBody(raw: string | undefined): Body | undefined {
  try {
    const body = JSON.parse(raw ?? '') as unknown;
    if (typeof body !== 'object' || body === null || !('payload' in body)) return undefined;
    const { tenant } = body as Body;
    if (tenant !== null && typeof tenant !== 'string') return undefined;
    return body as Body;
  } catch {
    return undefined;
  }
}

/**
 * A JobQueue on Amazon SQS standard queues (JSON protocol). Queues are `<prefix><name>`, found with
 * GetQueueUrl and created on first use. Dead-lettering is done here, not by a RedrivePolicy, so it works
 * the same on any SQS-compatible server: a message received more than maxAttempts times is copied to
 * `<prefix><name>-dlq` and deleted. Standard queues cannot deduplicate, so dedupeKey is ignored and
 * delivery may repeat: consumers are idempotent by design.
 */
export function createSqsJobQueue(options: SqsJobQueueOptions): JobQueue {
  const maxAttempts = assertMaxAttempts(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  if (!QUEUE_PREFIX.test(options.queuePrefix)) {
    throw new AppError(
      'CONFIG_INVALID',
      `The SQS queue prefix "${options.queuePrefix}" is not allowed: use up to 15 letters, digits, - and _.`,
    );
  }
  const client = new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const urls = new Map<string, Promise<string>>();

  async function lookUp(name: string, create: boolean): Promise<string | undefined> {
    try {
      const res = await client.send(new GetQueueUrlCommand({ QueueName: name }));
      return res.QueueUrl!;
    } catch (err) {
      if (errorName(err) !== 'QueueDoesNotExist') throw err;
      if (!create) return undefined;
    }
    // Concurrent creators are fine: CreateQueue with the same attributes returns the existing queue.
    const res = await client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { MessageRetentionPeriod: RETENTION_SECONDS } }),
    );
    return res.QueueUrl!;
  }

  /** Resolves (creating if need be) and caches a queue's URL; concurrent callers share one lookup. */
  function queueUrl(name: string): Promise<string> {
    let url = urls.get(name);
    if (!url) {
      const lookup = lookUp(name, true) as Promise<string>;
      urls.set(name, lookup);
      lookup.catch(() => {
        if (urls.get(name) === lookup) urls.delete(name);
      });
      url = lookup;
    }
    return url;
  }

  async function existingQueueUrl(name: string): Promise<string | undefined> {
    const cached = urls.get(name);
    if (cached) return cached;
    const url = await lookUp(name, false);
    if (url !== undefined && !urls.has(name)) urls.set(name, Promise.resolve(url));
    return url;
  }

  /** Runs `fn` with the queue's URL, forgetting the URL if the queue was deleted behind our back. */
  async function withQueue<T>(name: string, fn: (url: string) => Promise<T>): Promise<T> {
    const url = await queueUrl(name);
    try {
      return await fn(url);
    } catch (err) {
      if (errorName(err) === 'QueueDoesNotExist') urls.delete(name);
      throw err;
    }
  }

  const mainName = (queue: string) => `${options.queuePrefix}${queue}`;
  const dlqName = (queue: string) => `${options.queuePrefix}${queue}-dlq`;

  async function deadLetter(queue: string, dead: DeadBody): Promise<void> {
    await withQueue(dlqName(queue), (url) =>
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: encodeBody(dead) })),
    );
  }

  /**
   * Moves an over-delivered or unreadable message to the DLQ. Copy first, then delete: at-least-once.
   * `count` includes this receive, which delivers nothing. A consumer that crashed left no error.
   */
  async function moveToDeadLetters(queue: string, url: string, msg: Message, count: number): Promise<void> {
    const body = parseBody(msg.Body);
    await deadLetter(queue, {
      id: msg.MessageId!,
      tenant: body?.tenant ?? null,
      payload: body ? body.payload : (msg.Body ?? null),
      lastError: body ? null : 'The message body is not a Crest job.',
      attempts: count - 1,
    });
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: msg.ReceiptHandle! }));
  }

  function chunk(messages: readonly OutgoingJob[]): SendMessageBatchRequestEntry[][] {
    const batches: SendMessageBatchRequestEntry[][] = [];
    let batch: SendMessageBatchRequestEntry[] = [];
    let bytes = 0;
    messages.forEach((m, i) => {
      const body: Body = { tenant: m.tenant, payload: m.payload === undefined ? null : m.payload };
      const text = encodeBody(body);
      const size = Buffer.byteLength(text);
      if (batch.length === SQS_BATCH_ENTRIES || (batch.length > 0 && bytes + size > SQS_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ Id: String(i), MessageBody: text });
      bytes += size;
    });
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  async function receiveBatch(queue: string, url: string, opts: ReceiveOptions): Promise<Job[]> {
    const jobs: Job[] = [];
    let waitSeconds = toSeconds(opts.waitMs ?? 0, MAX_WAIT_SECONDS);
    const waitUntil = Date.now() + waitSeconds * 1000;
    // Keep asking while messages arrive: SQS returns at most 10 per call, and dead-lettered ones are
    // not returned at all, so a call may yield no job although more are ready.
    while (jobs.length < opts.max) {
      const res = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(SQS_BATCH_ENTRIES, opts.max - jobs.length),
          VisibilityTimeout: toSeconds(opts.visibilityMs, MAX_VISIBILITY_SECONDS),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const messages = res.Messages ?? [];
      if (messages.length === 0) break;
      const dead: Promise<void>[] = [];
      for (const msg of messages) {
        const count = Number(msg.Attributes?.ApproximateReceiveCount ?? '1');
        const body = parseBody(msg.Body);
        if (!body || count > maxAttempts) {
          dead.push(moveToDeadLetters(queue, url, msg, count));
          continue;
        }
        jobs.push({
          id: msg.MessageId!,
          queue,
          tenant: body.tenant,
          payload: body.payload,
          attempt: count,
          receipt: msg.ReceiptHandle!,
        });
      }
      await Promise.all(dead);
      // Only dead letters so far: spend what is left of the caller's waitMs waiting for a live job.
      waitSeconds = jobs.length === 0 ? toSeconds(Math.max(0, waitUntil - Date.now()), MAX_WAIT_SECONDS) : 0;
    }
    return jobs;
  }

  return {
    kind: 'sqs',

    async send(queue, messages) {
      assertQueueName(queue);
      if (messages.length === 0) return;
      const name = mainName(queue);
      for (const entries of chunk(messages)) {
        const res = await withQueue(name, (url) =>
          client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })),
        );
        if (res.Failed && res.Failed.length > 0) {
          const first = res.Failed[0]!;
          throw new AppError(
            'INTERNAL',
            `SQS refused ${res.Failed.length} of ${entries.length} messages for queue "${queue}": ${first.Code} ${first.Message ?? ''}`,
            { queue, failed: res.Failed.map((f) => ({ code: f.Code, message: f.Message })) },
          );
        }
      }
    },

    async receive(queue, opts) {
      assertQueueName(queue);
      assertReceiveOptions(opts);
      return withQueue(mainName(queue), (url) => receiveBatch(queue, url, opts));
    },

    async ack(job) {
      // Deleting with a stale receipt succeeds without deleting the message (SQS and fauxqs alike).
      await withQueue(mainName(job.queue), (url) =>
        client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: job.receipt })),
      );
    },

    async retry(job, opts = {}) {
      const error = opts.error === undefined ? null : opts.error.slice(0, MAX_ERROR_LENGTH);
      if (job.attempt >= maxAttempts) {
        // Its next delivery would exceed maxAttempts. Dead-letter it now, while the error is at hand:
        // a message body can't be changed in place, so this is the only point where SQS can record it.
        // With a stale receipt the delete is a no-op and the job lives on elsewhere too (at-least-once).
        await deadLetter(job.queue, {
          id: job.id,
          tenant: job.tenant,
          payload: job.payload,
          lastError: error,
          attempts: job.attempt,
        });
        await withQueue(mainName(job.queue), (url) =>
          client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: job.receipt })),
        );
        return;
      }
      try {
        await withQueue(mainName(job.queue), (url) =>
          client.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: url,
              ReceiptHandle: job.receipt,
              VisibilityTimeout: toSeconds(opts.delayMs ?? 0, MAX_VISIBILITY_SECONDS),
            }),
          ),
        );
      } catch (err) {
        if (!isStaleReceipt(err)) throw err;
      }
    },

    async deadLetters(queue, opts = {}) {
      assertQueueName(queue);
      const max = opts.max ?? 100;
      const url = await existingQueueUrl(dlqName(queue));
      if (!url) return [];
      // A diagnostic peek: visibility 0 leaves every message where it was. Repeated receives cycle
      // through the queue, so stop once a call brings nothing new.
      const seen = new Map<string, DeadLetter>();
      while (seen.size < max) {
        const res = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: SQS_BATCH_ENTRIES,
            VisibilityTimeout: 0,
          }),
        );
        let fresh = 0;
        for (const msg of res.Messages ?? []) {
          if (seen.has(msg.MessageId!) || seen.size >= max) continue;
          fresh++;
          const body = parseBody(msg.Body) as Partial<DeadBody> | undefined;
          seen.set(msg.MessageId!, {
            id: body?.id ?? msg.MessageId!,
            tenant: body?.tenant ?? null,
            payload: body ? body.payload : (msg.Body ?? null),
            attempts: body?.attempts ?? 0,
            lastError: body?.lastError ?? null,
          });
        }
        if (fresh === 0) break;
      }
      return [...seen.values()];
    },

    async ping() {
      await client.send(
        new ListQueuesCommand({ QueueNamePrefix: options.queuePrefix || undefined, MaxResults: 1 }),
      );
    },

    async close() {
      client.destroy();
    },
  };
}
