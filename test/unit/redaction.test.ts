import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ChunkPool } from '../../host/memory/workspaceIndex/chunking/chunkPool';
import { defaultWasmDir } from '../../host/memory/workspaceIndex/chunking/treeSitter';
import { knownSecrets, registerEnvSecrets, registerMcpServerSecrets, registerModelKeys, registerSecrets } from '../../host/observability/knownSecrets';
import { redacted, redactSecrets, secretlintRuleNames } from '../../host/observability/redaction';
import { LEAKY_ENV, NOT_SECRETS, RAW } from '../fixtures/leakySecrets';
import { until } from '../until';
import { putFile, tempDir } from './helpers';

describe('redaction', () => {
  it('redacts every leaked kind in a .env file, keeping names, comments and line numbers', () => {
    const { text, redactions } = redactSecrets(LEAKY_ENV, '.env');
    for (const [name, value] of Object.entries(RAW)) assert.ok(!text.includes(value), `${name} is still there:\n${text}`);
    assert.equal(text.split('\n').length, LEAKY_ENV.split('\n').length);
    assert.equal(redactions, 7);
    const lines = text.split('\n');
    assert.equal(lines[1], 'AWS_SECRET_ACCESS_KEY=[REDACTED secret assignment]');
    assert.equal(lines[2], 'DB_PASSWORD=[REDACTED secret assignment]');
    assert.match(lines[3]!, /^DATABASE_URL=.*\[REDACTED [^\]]+\]/);
    assert.equal(lines[4], 'SESSION_JWT=[REDACTED jwt]');
    assert.equal(lines[5], 'OPENAI_API_KEY=[REDACTED openai key]');
    assert.equal(lines[8], '[REDACTED private key]');
    assert.equal(lines[11], 'PASSWORD_MIN_LENGTH=8');
  });

  it('runs secretlint\'s rules and ignores secretlint-disable comments, which a hostile file could write', () => {
    const text = `// secretlint-disable\nconst stripe = "${RAW.stripeKey}"; // secretlint-disable-line\n`;
    assert.equal(redacted(text), '// secretlint-disable\nconst stripe = "[REDACTED stripe secret]"; // secretlint-disable-line\n');
  });

  it('catches values in quotes, YAML, JSON, shell exports, flags, URLs and connection strings', () => {
    const cases: [string, string][] = [
      [`export DB_PASSWORD='${RAW.dbPassword}'`, "export DB_PASSWORD='[REDACTED secret assignment]'"],
      [`  db_password: ${RAW.dbPassword}`, '  db_password: [REDACTED secret assignment]'],
      [`{ "client_secret": "${RAW.awsSecret}" }`, '{ "client_secret": "[REDACTED secret assignment]" }'],
      [`const config = { apiKey: '${RAW.awsSecret}' };`, "const config = { apiKey: '[REDACTED secret assignment]' };"],
      [`mysql --password=${RAW.dbPassword} -u root`, 'mysql --password=[REDACTED secret assignment] -u root'],
      [`docker run -e DB_PASSWORD=${RAW.dbPassword} app`, 'docker run -e DB_PASSWORD=[REDACTED secret assignment] app'],
      [`GET https://api.example.com/v1?api_key=${RAW.dbPassword}&q=1`, 'GET https://api.example.com/v1?api_key=[REDACTED secret assignment]&q=1'],
      [`redis://:${RAW.urlPassword}@cache:6379`, 'redis://:[REDACTED password in url]@cache:6379'],
      [`Authorization: Bearer ${RAW.jwt}`, 'Authorization: Bearer [REDACTED jwt]'],
    ];
    for (const [input, expected] of cases) assert.equal(redacted(input), expected);
  });

  it('reads JSON-escaped text line by line too, as a sandbox result or a tool\'s JSON carries a file', () => {
    const escaped = JSON.stringify(LEAKY_ENV);
    const text = redacted(escaped);
    for (const [name, value] of Object.entries(RAW)) assert.ok(!text.includes(value), `${name} is still there:\n${text}`);
    assert.match(text, /\\nAWS_SECRET_ACCESS_KEY=\[REDACTED secret assignment\]\\nDB_PASSWORD=\[REDACTED secret assignment\]\\n/);
    assert.match(text, /PASSWORD_MIN_LENGTH=8\\n/);
  });

  it('catches secrets in XML, connection strings, .netrc and command lines, and one-word password names', () => {
    const secret = ['hunter2', 'Xyz9Q'].join('');
    for (const text of [
      `<password>${secret}</password>`, `<apiToken>${secret}</apiToken>`, `connectionString="Server=db;User Id=sa;Password=${secret};"`,
      `AccountName=x;AccountKey=${secret}abc==;EndpointSuffix=core`, `Server=db;Pwd=${secret};`, `export PGPASSWORD=${secret}`,
      `mysql -uroot -p${secret} db`, `curl -u admin:${secret} https://example.com`, `machine api.example.com login me password ${secret}`,
    ]) assert.ok(!redacted(text).includes(secret), text);
    assert.equal(redacted('PWD=/home/user/project\nOLDPWD=/tmp'), 'PWD=/home/user/project\nOLDPWD=/tmp');
  });

  it('leaves text that only names secrets alone', () => {
    for (const line of NOT_SECRETS) assert.equal(redacted(line), line);
    assert.equal(redacted(NOT_SECRETS.join('\n')), NOT_SECRETS.join('\n'));
  });

  it('redacts a registered value wherever it appears, whatever its shape', () => {
    const value = 'plain-value-the-host-was-given-41';
    assert.equal(redacted(`echo ${value}`), `echo ${value}`);
    registerSecrets([value, 'short', undefined, '']);
    // Texts are remembered once redacted; a secret registered since is redacted in them all the same.
    assert.equal(redacted(`echo ${value}`), 'echo [REDACTED known secret]');
    assert.equal(redacted(`echo ${value}; echo ${value}`), 'echo [REDACTED known secret]; echo [REDACTED known secret]');
    assert.ok(!knownSecrets().includes('short'), 'short values would redact ordinary words');
  });

  it('registers model keys, secret environment variables and MCP credentials, not other settings', () => {
    registerModelKeys({ apiKeys: { 'gpt-4o': 'catalogue-key-value-17' }, defaultModel: { apiKey: 'default-key-value-18' } });
    registerEnvSecrets({ MY_SERVICE_TOKEN: 'env-token-value-19', PWD: '/home/someone/project', HOME: '/home/someone', TOKEN_COUNT_LIMIT: '4096000' });
    registerMcpServerSecrets([
      { env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'mcp-env-token-value-20', GITHUB_HOST: 'github.example.com' } },
      { headers: { Authorization: 'Bearer mcp-header-token-21', Accept: 'application/json' } },
    ]);
    const text = redacted('catalogue-key-value-17 default-key-value-18 env-token-value-19 mcp-env-token-value-20 mcp-header-token-21');
    assert.equal(text, Array(5).fill('[REDACTED known secret]').join(' '));
    assert.equal(redacted('/home/someone/project on github.example.com, application/json, 4096000'), '/home/someone/project on github.example.com, application/json, 4096000');
  });

  it('reaches chunking worker threads, started before or after a value is registered', async function () {
    this.timeout(30_000);
    const root = await tempDir('keel-redaction-workers-');
    await putFile(root, 'notes.md', 'The deploy key is early-registered-value-51 and late-registered-value-52.\n');
    const pool = new ChunkPool(defaultWasmDir(), 1);
    const chunkText = async () => {
      const [result] = await pool.chunk(root, 1 << 20, [{ path: 'notes.md', size: 100, mtimeMs: 0 }]);
      return result!.kind === 'chunked' ? result!.chunks.map((c) => c.text).join('\n') : '';
    };
    try {
      registerSecrets(['early-registered-value-51']);
      const before = await chunkText();
      assert.ok(!before.includes('early-registered-value-51'), before);
      assert.ok(before.includes('late-registered-value-52'), 'not registered yet');
      registerSecrets(['late-registered-value-52']);
      await until('the worker to hear of the new value', async () => !(await chunkText()).includes('late-registered-value-52'), 5000);
    } finally {
      await pool.dispose();
    }
  });
});

describe('redaction: secretlint triggers', () => {
  it('knows every rule of the pinned preset, so that none is skipped by a stale trigger table', () => {
    const preset = JSON.parse(readFileSync(require.resolve('@secretlint/secretlint-rule-preset-recommend/package.json'), 'utf8')) as { version: string };
    assert.equal(preset.version, '13.1.0', 'a new preset may change its rules: read RULE_TRIGGERS in redaction.ts again, then update this version');
    const { running, withTriggers } = secretlintRuleNames();
    assert.deepEqual([...running].sort(), [...withTriggers].sort());
  });

  it('still finds each rule\'s secrets behind its triggers', () => {
    const rep = (text: string, times: number) => text.repeat(times);
    const samples: [string, string, RegExp][] = [
      ['stripe', `const key = "${['sk', 'test', rep('4eC39HqLyjWDarjt', 2)].join('_')}"`, /\[REDACTED stripe secret\]/],
      ['groq', `GROQ=${['gsk', rep('a1B2c3D4', 6) + 'e5F6'].join('_')}`, /\[REDACTED groq secret\]/],
      ['huggingface', `token ${['hf', rep('abcdefghijklmnopq', 2)].join('_')}`, /\[REDACTED huggingface secret\]/],
      ['linear', `key: ${['lin', 'api', rep('a1b2c3d4', 4)].join('_')}`, /\[REDACTED linear secret\]/],
      ['notion', `const notion = ${['ntn', '12345678901' + rep('aB3dE', 7)].join('_')};`, /\[REDACTED notion secret\]/],
      ['sendgrid', `mail key ${['SG', rep('aB3dE6gH9j', 2) + 'kL', rep('mN0pQ1sT2v', 4) + 'wX3'].join('.')}`, /\[REDACTED sendgrid secret\]/],
      ['shopify', `shop ${['shpat', rep('a1b2c3d4', 4)].join('_')}`, /\[REDACTED shopify secret\]/],
      ['grafana', `g ${['glsa', rep('A1b2C3d4', 4), 'deadbeef'].join('_')}`, /\[REDACTED grafana secret\]/],
      ['hashicorp-vault', `vault ${['hvs', rep('a1B2c3D4e5', 10)].join('.')}`, /\[REDACTED hashicorp vault secret\]/],
      ['vercel', `v ${['vcp', rep('a1B2c3D4', 3)].join('_')}`, /\[REDACTED vercel secret\]/],
      ['databricks', `d ${'dapi' + rep('0123456789abcdef', 2)}`, /\[REDACTED databricks secret\]/],
      ['docker', `d ${['dckr', 'pat', rep('a1B2c3D4e', 3)].join('_')}`, /\[REDACTED docker secret\]/],
      ['figma', `f ${['figd', rep('a1B2c3D4e5', 4)].join('_')}`, /\[REDACTED figma secret\]/],
      ['cloudflare', `c ${['cfut', rep('a1B2c3D4e5', 4) + 'deadbeef'].join('_')}`, /\[REDACTED cloudflare secret\]/],
      ['tailscale', `t ${['tskey', 'api', 'k1a2b3c4d5', rep('a1B2c3D4', 3)].join('-')}`, /\[REDACTED tailscale secret\]/],
      ['slack', `hook ${['https://hooks.slack.com/services', 'T0123ABCD', 'B0123ABCD', 'abcdefghijklmnopqrstuvwx'].join('/')}`, /\[REDACTED slack token\]/],
      ['basicauth', `clone https://deploy:${'Xy7' + 'Qz9Wv2'}@git.example.com/repo`, /\[REDACTED (?:basic auth credentials|password in url)\]/],
    ];
    for (const [rule, text, expected] of samples) assert.match(redacted(text), expected, rule);
  });
});
