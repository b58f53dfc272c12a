/**
 * The domain throws AppError(code, details). One table maps each code to an HTTP status and a
 * default message, so the HTTP layer never needs an instanceof chain.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  VALIDATION_FAILED: { status: 400, message: 'The input failed validation.' },
  UNAUTHENTICATED: { status: 401, message: 'Missing or invalid credentials.' },
  FORBIDDEN: { status: 403, message: 'The credential lacks the scope this request needs.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The method is not allowed on this resource.' },
  CONFLICT: { status: 409, message: 'The resource already exists or changed.' },
  PRECONDITION_FAILED: { status: 412, message: 'A precondition header did not match.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported.' },
  TENANT_NAME_INVALID: { status: 400, message: 'The tenant name is not a safe identifier.' },
  TENANT_EXISTS: { status: 409, message: 'A tenant with that name already exists.' },
  TENANT_NOT_FOUND: { status: 404, message: 'No such tenant.' },
  KEY_NOT_FOUND: { status: 404, message: 'No such key.' },
  SCOPE_INVALID: { status: 400, message: 'Unknown scope.' },
  BLOB_KEY_INVALID: { status: 400, message: 'The blob key is not allowed.' },
  BLOB_NOT_FOUND: { status: 404, message: 'No such blob.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is not satisfiable.' },
  CONFIG_INVALID: { status: 500, message: 'The configuration is invalid.' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unreachable.' },
  DATA_DIR_LOCKED: { status: 503, message: 'The data folder is in use by another Crest process.' },
  LAUNCH_TOKEN_INVALID: { status: 401, message: 'The launch link is invalid or has expired.' },
  CMI_INVALID: { status: 400, message: 'The CMI data breaks the SCORM data model.' },
  STALE_COMMIT: { status: 409, message: 'A newer commit is already stored.' },
  ATTEMPT_CLOSED: { status: 409, message: 'The attempt is no longer the current one.' },
  MAX_ATTEMPTS_REACHED: { status: 409, message: 'The registration has used all its attempts.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.status = ERROR_CODES[code].status;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    const body: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
      code: this.code,
      message: this.message,
    };
    if (Object.keys(this.details).length > 0) body.details = this.details;
    return { error: body };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof Error && (err as { name?: string }).name === 'AppError' && 'code' in err;
}
