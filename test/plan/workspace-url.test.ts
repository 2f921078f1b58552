import { isLoopbackHost, workspaceUrlProblem } from '../../src/plan/workspace-url';

describe('workspaceUrlProblem', () => {
  it('accepts bare https URLs and plain http only on loopback (the emulator)', () => {
    for (const url of [
      'https://adb-123.4.azuredatabricks.net',
      'https://adb-123.4.azuredatabricks.net/',
      'https://dbc-1a2b.cloud.databricks.com:443',
      'http://127.0.0.1:5123',
      'http://localhost:8080',
      'http://[::1]:9000',
    ])
      expect([url, workspaceUrlProblem(url)]).toEqual([url, undefined]);
  });

  it('refuses every place a credential hides, without repeating the value', () => {
    const cases: [string, string][] = [
      ['https://adb-1.azuredatabricks.net/?token=dapi0123456789abcdef', 'no query (?...) in the URL'],
      ['https://adb-1.azuredatabricks.net?', 'no query (?...) in the URL'],
      ['https://adb-1.azuredatabricks.net/#access_token=dapi0123456789abcdef', 'no fragment (#...) in the URL'],
      ['https://token:dapi0123456789abcdef@adb-1.azuredatabricks.net', 'no user or password in the URL'],
      ['https://dapi0123456789abcdef@adb-1.azuredatabricks.net', 'no user or password in the URL'],
      ['https://adb-1.azuredatabricks.net/dapi0123456789abcdef', 'no path in the URL'],
      [
        'http://adb-1.azuredatabricks.net',
        'the scheme must be https (http only for a loopback emulator, e.g. http://127.0.0.1:8080)',
      ],
      [
        'http://0.0.0.0:8080',
        'the scheme must be https (http only for a loopback emulator, e.g. http://127.0.0.1:8080)',
      ],
      ['ftp://adb-1.azuredatabricks.net', 'the scheme must be https'],
      ['adb-1.azuredatabricks.net', 'not a URL'],
      [' https://adb-1.azuredatabricks.net', 'no spaces around the URL'],
    ];
    for (const [url, problem] of cases) {
      expect([url, workspaceUrlProblem(url)]).toEqual([url, problem]);
      expect(problem).not.toContain('dapi');
    }
  });

  it('knows loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', 'localhost.evil.com', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });
});
