/** Errors in Databricks' wire form: {"error_code", "message", "details"} with the HTTP status the SDKs expect. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, code = 'INVALID_PARAMETER_VALUE') => new ApiError(400, code, message);
export const notFound = (message: string, code = 'RESOURCE_DOES_NOT_EXIST') => new ApiError(404, code, message);
export const conflict = (message: string, code = 'RESOURCE_CONFLICT') => new ApiError(409, code, message);
export const alreadyExists = (message: string) => new ApiError(409, 'RESOURCE_ALREADY_EXISTS', message);
export const permissionDenied = (message: string) => new ApiError(403, 'PERMISSION_DENIED', message);
export const unauthenticated = (message: string) => new ApiError(401, 'UNAUTHENTICATED', message);
export const throttled = (message: string, retryAfterSeconds: number) =>
  new ApiError(429, 'REQUEST_LIMIT_EXCEEDED', message, { 'Retry-After': String(retryAfterSeconds) });

export function errorBody(error: ApiError, requestId: string) {
  return {
    error_code: error.errorCode,
    message: error.message,
    // ErrorInfo with metadata: the JS SDK (0.17) reads `metadata` of every detail and loses the error_code without it.
    // The request id travels in the x-request-id header instead of a RequestInfo detail for the same reason.
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: error.errorCode,
        domain: 'emulator.model-rollout',
        metadata: { request_id: requestId },
      },
    ],
  };
}
