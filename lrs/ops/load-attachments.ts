import type { Readable } from 'node:stream';
import type { Tx } from '../../db/database.ts';
import type { BlobStore } from '../../storage/blob-store.ts';

export interface AttachmentBody {
  sha2: string;
  contentType: string;
  body: Buffer;
}

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The raw attachments behind these hashes, from the table or, for large ones, the BlobStore. */
export async function loadAttachments(
  tx: Tx,
  blobs: BlobStore,
  hashes: readonly string[],
): Promise<AttachmentBody[]> {
  if (hashes.length === 0) return [];
  const res = await tx.query<{
    sha2: string;
    content_type: string;
    body: Buffer | Uint8Array | null;
    blob_key: string | null;
  }>('SELECT sha2, content_type, body, blob_key FROM attachments WHERE sha2 = ANY($1::text[])', [
    [...new Set(hashes)],
  ]);
  const out: AttachmentBody[] = [];
  for (const row of res.rows) {
    const body = row.blob_key
      ? await toBuffer((await blobs.get(row.blob_key)).body)
      : Buffer.from(row.body ?? new Uint8Array());
    out.push({ sha2: row.sha2, contentType: row.content_type, body });
  }
  return out;
}
