import type { Principal } from '../../control/authenticator.ts';
import type { Scope } from '../../core/scopes.ts';
import type { Database } from '../../db/database.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { XapiVersion } from '../input/version.ts';
import type { StatementWriter } from '../ops/group-commit.ts';

/**
 * A request as the xAPI resources see it: already through the alternate-syntax rewrite, version
 * negotiation and authentication. Handlers never touch fastify, so the same code serves the
 * ordinary and the alternate request syntax.
 */
export interface XapiRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  resource: string;
  query: Record<string, string>;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: Buffer;
  contentType: string;
  version: XapiVersion;
  principal: Principal;
  tenant: string;
  /** The LRS's own base URL (…/xapi), for `more` links and authority. */
  baseUrl: string;
}

export interface XapiResponse {
  status: number;
  headers?: Record<string, string>;
  /** A Buffer is sent as is; anything else as JSON. */
  body?: unknown;
}

export interface XapiDeps {
  db: Database;
  blobs: BlobStore;
  /** Statement writes go through group commit. */
  writer: StatementWriter;
}

export type XapiHandler = (req: XapiRequest, deps: XapiDeps) => Promise<XapiResponse>;

export interface XapiRoute {
  /** Any one of these scopes admits the request. */
  scopes: readonly Scope[];
  handler: XapiHandler;
}

/** resource → method → route. */
export type XapiRouteTable = Record<string, Partial<Record<XapiRequest['method'], XapiRoute>>>;
