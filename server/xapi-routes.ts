import { documentRoutes } from '../lrs/http/document-routes.ts';
import { xapiRoutes } from '../lrs/http/routes.ts';
import { statementRoutes } from '../lrs/http/statement-routes.ts';

/** The xAPI resources this build serves. Each part of lrs/ contributes its own table. */
export const XAPI_ROUTES = xapiRoutes(statementRoutes, documentRoutes);
