/**
 * Trace settings from the environment (src/tracing.ts): off without an endpoint, the OpenTelemetry variables' meaning
 * otherwise, clear errors for values that cannot work; and the route templates Databricks call spans are named by.
 */
import { apiPath } from '../src/databricks/http';
import { routeOf } from '../src/databricks/routes';
import { CLI_SERVICE_NAME, tracingSettingsFromEnv } from '../src/tracing';

describe('tracingSettingsFromEnv', () => {
  it('is off without an endpoint, and when the SDK is disabled', () => {
    expect(tracingSettingsFromEnv({}, CLI_SERVICE_NAME)).toBeUndefined();
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, CLI_SERVICE_NAME)).toBeUndefined();
    expect(
      tracingSettingsFromEnv(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_SDK_DISABLED: 'true' },
        CLI_SERVICE_NAME,
      ),
    ).toBeUndefined();
  });

  it('appends /v1/traces to the general endpoint, uses the traces endpoint as is, and honours OTEL_SERVICE_NAME', () => {
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, CLI_SERVICE_NAME)).toEqual(
      {
        serviceName: 'model-rollout-cli',
        url: 'http://collector:4318/v1/traces',
      },
    );
    expect(
      tracingSettingsFromEnv(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
          OTEL_SERVICE_NAME: 'rollouts-eu',
        },
        CLI_SERVICE_NAME,
      ),
    ).toEqual({ serviceName: 'rollouts-eu', url: 'https://traces.example/otlp' });
  });

  it('refuses what cannot work, naming the variable and the fix', () => {
    expect(() => tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, CLI_SERVICE_NAME)).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT "collector:4318\/v1\/traces" is not an http\(s\) URL; write e.g. http:\/\/localhost:4318/,
    );
    expect(() => tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, CLI_SERVICE_NAME)).toThrow(
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT "not a url" is not a URL/,
    );
    expect(() =>
      tracingSettingsFromEnv(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        CLI_SERVICE_NAME,
      ),
    ).toThrow(/"grpc" is not supported: .* unset it or set http\/json/);
  });
});

describe('route templates of Databricks calls', () => {
  it('names each parameter, never the value', () => {
    const name = 'fraud-detector';
    expect(routeOf(apiPath`/api/2.0/serving-endpoints/${name}/config`)).toBe(
      '/api/2.0/serving-endpoints/{name}/config',
    );
    expect(routeOf(apiPath`/api/2.1/unity-catalog/models/${'main.ml.m'}/aliases/${'champion'}`)).toBe(
      '/api/2.1/unity-catalog/models/{full_name}/aliases/{alias}',
    );
    expect(routeOf(apiPath`/serving-endpoints/${name}/served-models/${'a-1'}/invocations`)).toBe(
      '/serving-endpoints/{name}/served-models/{served_model}/invocations',
    );
    expect(routeOf('/api/2.0/serving-endpoints')).toBe('/api/2.0/serving-endpoints');
  });
});
