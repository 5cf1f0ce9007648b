/**
 * `Status` bodies and the error type the handlers throw. Messages follow the wording of the real
 * API server (k8s.io/apimachinery pkg/api/errors), because clients and tests match on them:
 * `deployments.apps "x" not found`, `configmaps "x" already exists`, and so on.
 */

/** A `metav1.Status` cause, e.g. one field-manager conflict. */
export interface StatusCause {
  reason?: string;
  type?: string;
  message: string;
  field?: string;
}

/** `metav1.StatusDetails`: `kind` is the resource (plural) as the real server fills it. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A `metav1.Status` object as sent on the wire. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error that answers the request with a `Status` body and HTTP `code`. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  /** Returns the Failure `Status` body of this error. */
  toStatus(): StatusBody {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

/** Returns a Failure `Status` body. */
export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): StatusBody {
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details && Object.keys(details).length > 0) body.details = details;
  return body;
}

/** Returns a Success `Status` body, as a DELETE of most kinds answers. */
export function successStatus(details: StatusDetails): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

/** `resource.group` as the real server prints a qualified resource (`deployments.apps`, `configmaps`). */
export function qualified(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

/** 404 NotFound for an object: `deployments.apps "x" not found`. */
export function notFound(group: string, plural: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(group, plural)} "${name}" not found`, { name, group: group || undefined, kind: plural });
}

/** 404 for a path no resource serves (unknown group, version or resource). */
export function unknownResource(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 AlreadyExists: `configmaps "x" already exists`. */
export function alreadyExists(group: string, plural: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(group, plural)} "${name}" already exists`, { name, group: group || undefined, kind: plural });
}

/** 409 Conflict for a stale `metadata.resourceVersion` on update. */
export function staleConflict(group: string, plural: string, name: string): ApiError {
  return new ApiError(409, 'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: group || undefined, kind: plural });
}

/** 400 BadRequest with `message`. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message, {});
}

/** 422 Invalid: `Deployment.apps "x" is invalid: <field>: <detail>`. */
export function invalid(kind: string, group: string, name: string, field: string, detail: string): ApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${field}: ${detail}`, {
    name, group: group || undefined, kind,
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  });
}

/** 405 MethodNotAllowed for a verb the resource does not support. */
export function methodNotAllowed(method: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {});
}

/** 401 Unauthorized, the body the real server sends for a missing or wrong token. */
export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}
