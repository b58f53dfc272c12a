import { createHash } from 'node:crypto';

/** The runtime's namespace for name-based statement ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('5f0c9a1e4b7d4c2a9e3f6a8b1c2d3e4f', 'hex');

/**
 * RFC 9562 §5.5 (UUIDv5): SHA-1 of namespace + name, with the version and variant bits set. Statement ids
 * made from attempt + SCO + commit seq + verb are the same on a retried commit, so a statement is never
 * stored twice.
 */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
