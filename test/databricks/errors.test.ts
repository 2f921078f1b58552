import {
  apiErrorFromResponse,
  classifyApiError,
  DatabricksApiError,
  DatabricksError,
  parseErrorBody,
  parseProtoDuration,
  parseRetryAfter,
} from '../../src/databricks/errors';

describe('parseErrorBody fallbacks (docs §4.1)', () => {
  it('reads the standard JSON body with RequestInfo and RetryInfo details', () => {
    const parsed = parseErrorBody(
      404,
      JSON.stringify({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: "Endpoint with name 'x' not found",
        details: [
          { '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: 'req-123', serving_data: '' },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: '3s' },
          'not an object',
        ],
      }),
    );
    expect(parsed).toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      message: "Endpoint with name 'x' not found",
      requestId: 'req-123',
      retryDelayMs: 3000,
    });
    expect(parsed.details).toHaveLength(2);
  });

  it('takes the request id from ErrorInfo metadata, then from the x-request-id header', () => {
    const errorInfo = {
      error_code: 'PERMISSION_DENIED',
      message: 'no',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'X', metadata: { request_id: 'r-meta' } },
      ],
    };
    expect(parseErrorBody(403, JSON.stringify(errorInfo)).requestId).toBe('r-meta');
    const base = { status: 403, method: 'GET', path: '/p', requestIdHeader: 'r-header' };
    expect(apiErrorFromResponse({ ...base, bodyText: JSON.stringify(errorInfo) }).requestId).toBe('r-meta');
    expect(apiErrorFromResponse({ ...base, bodyText: '{"error_code":"X","message":"m"}' }).requestId).toBe('r-header');
    expect(apiErrorFromResponse({ ...base, requestIdHeader: null, bodyText: '' }).requestId).toBeUndefined();
  });

  it('converts a legacy numeric error_code to a string', () => {
    expect(parseErrorBody(404, '{"error_code": 404, "message": "gone"}')).toMatchObject({
      errorCode: '404',
      message: 'gone',
    });
  });

  it('reads the legacy {"error": "..."} form', () => {
    expect(parseErrorBody(400, '{"error": "Missing required field: name"}')).toMatchObject({
      errorCode: 'BAD_REQUEST',
      message: 'Missing required field: name',
    });
  });

  it('reads OAuth token endpoint errors', () => {
    expect(
      parseErrorBody(401, '{"error": "invalid_client", "error_description": "Client authentication failed"}'),
    ).toMatchObject({
      errorCode: 'invalid_client',
      message: 'Client authentication failed',
    });
  });

  it('reads SCIM errors', () => {
    expect(
      parseErrorBody(409, '{"detail": "User already exists", "status": "409", "scimType": "uniqueness"}'),
    ).toMatchObject({
      errorCode: 'SCIM_409',
      message: 'uniqueness User already exists',
    });
    expect(parseErrorBody(500, '{"detail": "null", "status": "500"}')).toMatchObject({
      errorCode: 'SCIM_500',
      message: 'SCIM API Internal Error',
    });
  });

  it('reads plain text "ERROR_CODE: message"', () => {
    expect(parseErrorBody(429, 'REQUEST_LIMIT_EXCEEDED: Too many requests, slow down.')).toMatchObject({
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      message: 'Too many requests, slow down.',
    });
  });

  it('reads HTML <pre> and <title> bodies with the reason phrase as code', () => {
    const html =
      '<html><head><title>Error 502</title></head><body><pre>Bad gateway: upstream closed.</pre></body></html>';
    expect(parseErrorBody(502, html)).toEqual({
      errorCode: 'BAD_GATEWAY',
      message: 'Bad gateway: upstream closed',
      details: [],
    });
    expect(parseErrorBody(503, '<html><title>Service down</title></html>')).toMatchObject({
      errorCode: 'SERVICE_UNAVAILABLE',
      message: 'Service down',
    });
  });

  it('uses the reason phrase for an empty body', () => {
    expect(parseErrorBody(503, '')).toEqual({
      errorCode: 'SERVICE_UNAVAILABLE',
      message: 'Service Unavailable',
      details: [],
    });
    expect(parseErrorBody(429, '  \n')).toMatchObject({ errorCode: 'TOO_MANY_REQUESTS', message: 'Too Many Requests' });
    expect(parseErrorBody(599, '')).toMatchObject({ errorCode: 'HTTP_599', message: 'HTTP 599' });
  });

  it('keeps (truncated) unrecognised text as the message', () => {
    const parsed = parseErrorBody(500, 'x'.repeat(5000));
    expect(parsed.errorCode).toBe('INTERNAL_SERVER_ERROR');
    expect(parsed.message.length).toBeLessThanOrEqual(1001);
  });

  it('falls back to the reason phrase for JSON without message', () => {
    expect(parseErrorBody(404, '{"something": "else"}')).toMatchObject({
      errorCode: 'NOT_FOUND',
      message: 'Not Found',
    });
    expect(parseErrorBody(500, '[1,2]')).toMatchObject({ errorCode: 'INTERNAL_SERVER_ERROR', message: '[1,2]' });
  });
});

describe('classification (docs §4.2)', () => {
  it.each([
    [400, 'INVALID_PARAMETER_VALUE', 'bad-request', false],
    [400, 'INVALID_STATE', 'bad-request', false],
    [401, 'UNAUTHENTICATED', 'unauthenticated', false],
    [403, 'PERMISSION_DENIED', 'permission-denied', false],
    [404, 'RESOURCE_DOES_NOT_EXIST', 'not-found', false],
    [404, 'SHARE_DOES_NOT_EXIST', 'not-found', false],
    [409, 'RESOURCE_CONFLICT', 'conflict', false],
    [409, 'RESOURCE_ALREADY_EXISTS', 'conflict', false],
    [400, 'RECIPIENT_ALREADY_EXISTS', 'conflict', false],
    [429, 'REQUEST_LIMIT_EXCEEDED', 'throttled', true],
    [429, 'TOO_MANY_REQUESTS', 'throttled', true],
    [400, 'RESOURCE_EXHAUSTED', 'throttled', true], // error_code wins over status
    [500, 'INTERNAL_ERROR', 'internal', true],
    [400, 'UNKNOWN', 'internal', false],
    [502, 'BAD_GATEWAY', 'unavailable', true],
    [503, 'TEMPORARILY_UNAVAILABLE', 'unavailable', true],
    [504, 'GATEWAY_TIMEOUT', 'timeout', true],
    [404, 'ABORTED', 'conflict', false], // code wins for the kind; a 404 is never retryable
    [501, 'NOT_IMPLEMENTED', 'other', false],
    [418, 'TEAPOT', 'other', false],
  ] as const)('%i %s -> %s (retryable %s)', (status, code, kind, retryable) => {
    const err = new DatabricksApiError({ status, errorCode: code, apiMessage: 'm', method: 'GET', path: '/p' });
    expect(err.kind).toBe(kind);
    expect(err.retryable).toBe(retryable);
  });

  it('classifies by status when the code is unknown', () => {
    expect(classifyApiError(404, 'SOMETHING_NEW')).toBe('not-found');
    expect(classifyApiError(429, '')).toBe('throttled');
  });

  it('treats transient messages as retryable, except for definitive statuses', () => {
    const make = (status: number, apiMessage: string) =>
      new DatabricksApiError({ status, errorCode: 'X', apiMessage, method: 'GET', path: '/p' });
    expect(make(400, 'Workspace 1 does not have any associated worker environments').retryable).toBe(true);
    expect(make(400, 'Timed out after 30s').retryable).toBe(true);
    expect(make(400, 'REQUEST_LIMIT_EXCEEDED: slow down').retryable).toBe(true);
    expect(make(400, 'Invalid name').retryable).toBe(false);
    expect(make(404, 'Unexpected error').retryable).toBe(false);
  });

  it('builds a message with method, path, status, code and request id', () => {
    const err = apiErrorFromResponse({
      status: 404,
      method: 'GET',
      path: '/api/2.0/serving-endpoints/x',
      bodyText: JSON.stringify({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
        message: "Endpoint with name 'x' not found",
        details: [{ '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: 'r-1' }],
      }),
    });
    expect(err).toBeInstanceOf(DatabricksError);
    expect(err.message).toBe(
      "GET /api/2.0/serving-endpoints/x failed with HTTP 404 RESOURCE_DOES_NOT_EXIST: Endpoint with name 'x' not found (request id r-1)",
    );
    expect(err.apiMessage).toBe("Endpoint with name 'x' not found");
    expect(err.requestId).toBe('r-1');
    expect(err.name).toBe('DatabricksApiError');
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-08-20T10:00:00Z');

  it('parses delay-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
  });

  it('parses an HTTP date relative to now, clamping the past to 0', () => {
    expect(parseRetryAfter('Thu, 20 Aug 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 20 Aug 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent and malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('12abc', now)).toBeUndefined();
  });

  it('prefers the header over a RetryInfo detail, and uses the detail without a header', () => {
    const bodyText = JSON.stringify({
      error_code: 'REQUEST_LIMIT_EXCEEDED',
      message: 'slow down',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: '2.5s' }],
    });
    const base = { status: 429, method: 'GET', path: '/p', bodyText, nowMs: now };
    expect(apiErrorFromResponse({ ...base, retryAfterHeader: '7' }).retryAfterMs).toBe(7000);
    expect(apiErrorFromResponse(base).retryAfterMs).toBe(2500);
    expect(apiErrorFromResponse({ ...base, bodyText: '' }).retryAfterMs).toBeUndefined();
  });

  it('parses protobuf durations in both JSON forms', () => {
    expect(parseProtoDuration('3s')).toBe(3000);
    expect(parseProtoDuration('0.250s')).toBe(250);
    expect(parseProtoDuration({ seconds: 1, nanos: 500_000_000 })).toBe(1500);
    expect(parseProtoDuration('3m')).toBeUndefined();
    expect(parseProtoDuration(42)).toBeUndefined();
  });
});
