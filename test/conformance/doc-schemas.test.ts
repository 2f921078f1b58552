/**
 * Self-tests of the doc schemas: the doc's own examples pass, and the things the doc forbids (null, unknown fields,
 * wrong enums, seconds instead of milliseconds, string versions) fail. Pure, no emulator.
 */
import {
  errorBodySchema,
  errorCodesForStatus,
  listModelVersionsResponseSchema,
  listProviderSharesResponseSchema,
  modelVersionInfoSchema,
  oauthTokenResponseSchema,
  queryEndpointCustomModelResponseSchema,
  routeSchema,
  servedEntityOutputSchema,
  servingEndpointDetailedSchema,
  sharedDataObjectSchema,
  validatePrometheusText,
} from './databricks-doc-schemas';

describe('doc schemas accept the doc examples', () => {
  test('§1.2 real-cloud create response without config', () => {
    const body = {
      name: 'test-endpoint-X',
      permission_level: 'CAN_MANAGE',
      route_optimized: false,
      state: { config_update: 'NOT_UPDATING', ready: 'NOT_READY' },
    };
    expect(servingEndpointDetailedSchema.safeParse(body).success).toBe(true);
  });

  test('§1.4 served entity state example and §0 timestamp example', () => {
    const entity = {
      name: 'fraud_detector-1',
      entity_name: 'main.ml.fraud_detector',
      entity_version: '1',
      creation_timestamp: 1700089637000,
      state: { deployment: 'DEPLOYMENT_READY', deployment_state_message: '' },
    };
    expect(servedEntityOutputSchema.safeParse(entity).success).toBe(true);
  });

  test('§4.1 error example', () => {
    const body = {
      error_code: 'NOT_FOUND',
      message: 'Job 123 does not exist.',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: '01ef9a2c-...-d2b1' }],
    };
    expect(errorBodySchema.safeParse(body).success).toBe(true);
  });

  test('§5.2 recommended token response', () => {
    const body = { access_token: 'x', token_type: 'Bearer', expires_in: 3600, scope: 'all-apis' };
    expect(oauthTokenResponseSchema.safeParse(body).success).toBe(true);
  });

  test('§4.2 mapping', () => {
    expect(errorCodesForStatus(409)).toEqual(
      expect.arrayContaining(['RESOURCE_CONFLICT', 'RESOURCE_ALREADY_EXISTS', 'ALREADY_EXISTS', 'ABORTED']),
    );
    expect(errorCodesForStatus(404)).toEqual(expect.arrayContaining(['RESOURCE_DOES_NOT_EXIST', 'NOT_FOUND']));
  });
});

describe('doc schemas reject what the doc forbids', () => {
  const endpoint = { name: 'e', state: { ready: 'READY', config_update: 'NOT_UPDATING' } };

  test.each([
    ['null field (§0)', { ...endpoint, description: null }],
    ['unknown field', { ...endpoint, update_state: 'NOT_UPDATING' }],
    ['bad enum', { ...endpoint, state: { ready: 'READY', config_update: 'UPDATING' } }],
    ['seconds timestamp', { ...endpoint, creation_timestamp: 1700089637 }],
    ['float timestamp', { ...endpoint, creation_timestamp: 1700089637000.5 }],
    ['missing state', { name: 'e' }],
    ['numeric entity_version', { ...endpoint, config: { served_entities: [{ entity_version: 1 }] } }],
  ])('ServingEndpointDetailed: %s', (_label, body) => {
    expect(servingEndpointDetailedSchema.safeParse(body).success).toBe(false);
  });

  test('Route: traffic_percentage is always serialized and 0..100', () => {
    expect(routeSchema.safeParse({ served_entity_name: 'a' }).success).toBe(false);
    expect(routeSchema.safeParse({ served_entity_name: 'a', traffic_percentage: 101 }).success).toBe(false);
    expect(routeSchema.safeParse({ served_entity_name: 'a', traffic_percentage: 0 }).success).toBe(true);
  });

  test('ModelVersionInfo: version is an int, status enum', () => {
    expect(modelVersionInfoSchema.safeParse({ version: '1' }).success).toBe(false);
    expect(modelVersionInfoSchema.safeParse({ version: 1, status: 'PENDING' }).success).toBe(false);
    expect(modelVersionInfoSchema.safeParse({ version: 1, status: 'PENDING_REGISTRATION' }).success).toBe(true);
  });

  test('list versions: empty next_page_token and aliases in elements are rejected (§2.2)', () => {
    expect(listModelVersionsResponseSchema.safeParse({ model_versions: [], next_page_token: '' }).success).toBe(false);
    expect(listModelVersionsResponseSchema.safeParse({ model_versions: [{ version: 1, aliases: [] }] }).success).toBe(
      false,
    );
  });

  test('SharedDataObject: MODEL without shared_as; string_shared_as is schema.model', () => {
    const model = { name: 'main.ml.m', data_object_type: 'MODEL' };
    expect(sharedDataObjectSchema.safeParse(model).success).toBe(true);
    expect(sharedDataObjectSchema.safeParse({ ...model, shared_as: 'ml.m' }).success).toBe(false);
    expect(sharedDataObjectSchema.safeParse({ ...model, string_shared_as: '' }).success).toBe(false);
  });

  test('provider shares list has only names', () => {
    expect(listProviderSharesResponseSchema.safeParse({ shares: [{ name: 's', owner: 'x' }] }).success).toBe(false);
  });

  test('query response', () => {
    expect(queryEndpointCustomModelResponseSchema.safeParse({ predictions: [0.1] }).success).toBe(true);
    expect(queryEndpointCustomModelResponseSchema.safeParse({ predictions: [0.1], outputs: [] }).success).toBe(false);
  });

  test('error body', () => {
    expect(errorBodySchema.safeParse({ error_code: 404, message: 'x' }).success).toBe(false);
    expect(errorBodySchema.safeParse({ error: 'x' }).success).toBe(false);
    expect(
      errorBodySchema.safeParse({
        error_code: 'X',
        message: 'y',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: 3 }],
      }).success,
    ).toBe(false);
  });
});

describe('validatePrometheusText', () => {
  const good = [
    '# HELP requests_total Requests.',
    '# TYPE requests_total counter',
    'requests_total{endpoint="a",code="200"} 10',
    'requests_total{endpoint="a",code="500"} 1 1700089637000',
    '',
    '# HELP latency_ms Latency.',
    '# TYPE latency_ms histogram',
    'latency_ms_bucket{le="10"} 1',
    'latency_ms_bucket{le="50"} 3',
    'latency_ms_bucket{le="+Inf"} 4',
    'latency_ms_sum 120.5',
    'latency_ms_count 4',
    'cpu_usage_percentage{label="with \\"quote\\""} 1.5e1',
  ].join('\n');

  test('accepts valid text', () => {
    expect(validatePrometheusText(good + '\n')).toEqual([]);
  });

  test.each([
    ['no value', 'x{a="b"}'],
    ['unquoted label', 'x{a=b} 1'],
    ['bad value', 'x 1,5'],
    ['bad timestamp', 'x 1 12.5'],
    ['bad metric name', '1x 1'],
    ['malformed TYPE', '# TYPE x'],
    ['unknown TYPE', '# TYPE x countr'],
    ['JSON', '{"contents": "x 1"}'],
  ])('rejects %s', (_label, text) => {
    expect(validatePrometheusText(text)).not.toEqual([]);
  });

  test('histogram rules', () => {
    const base = ['# TYPE h histogram'];
    const notCumulative = [...base, 'h_bucket{le="1"} 3', 'h_bucket{le="+Inf"} 2', 'h_sum 1', 'h_count 2'];
    const noInf = [...base, 'h_bucket{le="1"} 3', 'h_sum 1', 'h_count 3'];
    const countMismatch = [...base, 'h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 2', 'h_sum 1', 'h_count 3'];
    for (const lines of [notCumulative, noInf, countMismatch])
      expect(validatePrometheusText(lines.join('\n'))).not.toEqual([]);
    const ok = [...base, 'h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 2', 'h_sum 1', 'h_count 2'];
    expect(validatePrometheusText(ok.join('\n'))).toEqual([]);
  });
});
