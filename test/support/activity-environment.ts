/**
 * An activity test environment that does not print the failures a test expects: MockActivityEnvironment logs each
 * failed activity at WARN with its stack, and a test asserts those failures instead.
 */
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';

export function quietActivityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
}
