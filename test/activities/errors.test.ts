import { ApplicationFailure } from '@temporalio/common';
import {
  DatabricksApiError,
  DatabricksNetworkError,
  DatabricksConfigError,
  apiErrorFromResponse,
} from '../../src/databricks';
import { toActivityFailure } from '../../src/activities/errors';

const apiError = (status: number, code: string, retryAfter?: string): DatabricksApiError =>
  apiErrorFromResponse({
    status,
    method: 'GET',
    path: '/api/2.0/serving-endpoints/x',
    bodyText: JSON.stringify({ error_code: code, message: 'm' }),
    retryAfterHeader: retryAfter ?? null,
    requestIdHeader: null,
    secrets: [],
  });

describe('activity error classification', () => {
  it.each([
    [404, 'RESOURCE_DOES_NOT_EXIST', 'Databricks.not-found'],
    [403, 'PERMISSION_DENIED', 'Databricks.permission-denied'],
    [401, 'UNAUTHENTICATED', 'Databricks.unauthenticated'],
    [400, 'INVALID_PARAMETER_VALUE', 'Databricks.bad-request'],
    [409, 'RESOURCE_CONFLICT', 'Databricks.conflict'],
  ])('makes HTTP %i %s non-retryable', (status, code, type) => {
    const failure = toActivityFailure(apiError(status, code), 'ctx') as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect([failure.type, failure.nonRetryable]).toEqual([type, true]);
    expect(failure.message).toMatch(/^ctx: /);
  });

  it('retries throttling after the server-given Retry-After', () => {
    const failure = toActivityFailure(apiError(429, 'REQUEST_LIMIT_EXCEEDED', '7'), 'ctx') as ApplicationFailure;
    expect([failure.nonRetryable, failure.nextRetryDelay]).toEqual([false, 7000]);
  });

  it('retries 5xx and network errors with the policy backoff', () => {
    const unavailable = toActivityFailure(apiError(503, 'TEMPORARILY_UNAVAILABLE'), 'ctx') as ApplicationFailure;
    expect(unavailable.nonRetryable).toBe(false);
    const network = toActivityFailure(
      new DatabricksNetworkError('GET', '/x', new Error('ECONNRESET')),
      'ctx',
    ) as ApplicationFailure;
    expect([network.nonRetryable, network.nextRetryDelay]).toEqual([false, undefined]);
  });

  it('does not retry configuration mistakes or bad arguments', () => {
    const config = toActivityFailure(
      new DatabricksConfigError('profile eu-west-1 not found'),
      'ctx',
    ) as ApplicationFailure;
    expect(config.nonRetryable).toBe(true);
    const typeError = toActivityFailure(new TypeError('bad path'), 'ctx') as ApplicationFailure;
    expect([typeError.type, typeError.nonRetryable]).toEqual(['TypeError', true]);
    const plain = new Error('other');
    expect(toActivityFailure(plain, 'ctx')).toBe(plain);
  });
});
