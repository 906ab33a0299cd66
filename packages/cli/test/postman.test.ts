/** Reading and writing Postman environments (the pure half of `env import` / `env export`). */
import { describe, expect, it } from 'vitest';
import { connectionValues, environmentNameFrom, isPlaceholder, parsePostmanEnvironment, toPostmanEnvironment } from '../src/postman.js';

describe('postman environments', () => {
  it('recognizes the placeholders of the published environment, and not real values', () => {
    for (const placeholder of ['from OAUTH 2.0 Application Management', 'from Company Request Token', 'XXX - set by postman collection',
      'Reference Only, if known', '', '{{clientId}}', 'xxx']) expect(isPlaceholder(placeholder), placeholder).toBe(true);
    for (const value of ['us2.api.concursolutions.com', '5b8e6c9d-9a55-4b2b-9d3c-2a3f8f2f0001', 'at-25w7be91z8s8zgzg2lj8xle36xhj5p',
      '2d725xipty0z7ha3vlpy8b2c3hqxmw', 'localhost:8443']) expect(isPlaceholder(value), value).toBe(false);
  });

  it('reads variables case-insensitively and skips disabled ones', () => {
    const values = connectionValues(parsePostmanEnvironment(JSON.stringify({
      name: 'My Env', values: [
        { key: 'datacenterURI', value: 'eu2.api.concursolutions.com' },
        { key: 'clientId', value: 'id-1', enabled: false },
        { key: 'client_id', value: 'id-2' },
        { key: 'refreshToken', value: 'XXX - set by postman collection' },
      ],
    })));
    expect(values).toMatchObject({ name: 'My Env', dataCenterURI: 'eu2.api.concursolutions.com', clientId: 'id-2', refreshToken: undefined });
    expect(environmentNameFrom('Concur Default Env')).toBe('concur-default-env');
  });

  it('refuses what is not a Postman environment', () => {
    expect(() => parsePostmanEnvironment('nope')).toThrow(/not JSON/);
    expect(() => parsePostmanEnvironment('{"info":{}}')).toThrow(/not a Postman environment/);
  });

  it('writes dataCenterURI as host[:port], the way the collection uses it (https://{{dataCenterURI}})', () => {
    const environment = toPostmanEnvironment({ name: 'x', baseUrl: 'https://us2.api.concursolutions.com', clientId: 'c', clientSecret: 's' });
    const get = (key: string) => environment.values.find((v) => v.key === key)?.value;
    expect(get('dataCenterURI')).toBe('us2.api.concursolutions.com');
    expect(get('refreshToken')).toBe('XXX - set by postman collection');
    expect(environment._postman_variable_scope).toBe('environment');
  });
});
