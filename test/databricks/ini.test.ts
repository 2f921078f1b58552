import { IniSyntaxError, parseIni } from '../../src/databricks/ini';

describe('parseIni', () => {
  it('parses DEFAULT and named sections, = and : delimiters, and lower-cases keys', () => {
    const ini = parseIni(
      [
        '[DEFAULT]',
        'host  = https://dbc-a1b2345c-d6e7.cloud.databricks.com',
        'token = dapi123',
        '',
        '[eu-west-1]',
        'HOST: http://127.0.0.1:5123',
        'client_id     = 7f3c2a10',
        'client_secret = s3cr3t',
      ].join('\n'),
    );
    expect(ini.get('DEFAULT')?.get('host')).toBe('https://dbc-a1b2345c-d6e7.cloud.databricks.com');
    expect(ini.get('DEFAULT')?.get('token')).toBe('dapi123');
    expect(ini.get('eu-west-1')?.get('host')).toBe('http://127.0.0.1:5123');
    expect(ini.get('eu-west-1')?.get('client_secret')).toBe('s3cr3t');
  });

  it('skips # and ; comment lines and blank lines, and treats # as inline comment only after whitespace', () => {
    const ini = parseIni(
      [
        '# a comment',
        '; another comment',
        '   # indented comment',
        '[p] # trailing comment on a header',
        'token = abc#def',
        'host = https://h.example.com # the host',
        'note = semi;colon ; stays',
        'tabbed = value\t# tab comment',
      ].join('\n'),
    );
    const p = ini.get('p')!;
    expect(p.get('token')).toBe('abc#def');
    expect(p.get('host')).toBe('https://h.example.com');
    expect(p.get('note')).toBe('semi;colon ; stays');
    expect(p.get('tabbed')).toBe('value');
  });

  it('keeps quoted values verbatim and handles BOM, CRLF and keys before any section', () => {
    const ini = parseIni(
      '\uFEFFtop = level\r\n[q]\r\nsecret = "has # hash and = sign" # comment\r\nsingle = \'x y\'\r\n',
    );
    expect(ini.get('DEFAULT')?.get('top')).toBe('level');
    expect(ini.get('q')?.get('secret')).toBe('has # hash and = sign');
    expect(ini.get('q')?.get('single')).toBe('x y');
  });

  it('merges repeated sections (later keys win) and keeps empty values', () => {
    const ini = parseIni('[a]\nx = 1\ny = 2\n[b]\nz = 3\n[a]\nx = 10\nempty =\n');
    expect(Object.fromEntries(ini.get('a')!)).toEqual({ x: '10', y: '2', empty: '' });
    expect([...ini.keys()]).toEqual(['a', 'b']);
  });

  it('splits at the first delimiter so URLs with ports survive', () => {
    const ini = parseIni('[a]\nhost = http://localhost:8080/path?x=1\n');
    expect(ini.get('a')?.get('host')).toBe('http://localhost:8080/path?x=1');
  });

  it('does not inherit DEFAULT keys into named sections', () => {
    const ini = parseIni('[DEFAULT]\ntoken = t\n[a]\nhost = h\n');
    expect(ini.get('a')?.has('token')).toBe(false);
  });

  it.each([
    ['a line without delimiter', '[a]\njust words\n', 'cfg:2: expected "key = value"'],
    ['an empty section name', '[]\n', 'cfg:1: empty section name'],
    ['a malformed header', '[a\n', 'cfg:1: malformed section header'],
    ['a missing key', '[a]\n= value\n', 'cfg:2: missing key'],
    ['an unterminated quote', '[a]\nk = "abc\n', 'cfg:2: unterminated " quote'],
  ])('rejects %s with file and line', (_what, text, message) => {
    expect(() => parseIni(text, 'cfg')).toThrow(IniSyntaxError);
    expect(() => parseIni(text, 'cfg')).toThrow(message);
  });
});
