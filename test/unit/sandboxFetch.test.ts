import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { allowListedFetch } from '../../host/sandbox';
import { isPublicAddress } from '../../host/sandbox/addressPolicy';
import { localServer, type LocalServer } from '../sandbox/localServer';

describe('sandbox: allow-listed fetch', () => {
  let allowed: LocalServer;
  let unlisted: LocalServer;
  let fetch: ReturnType<typeof allowListedFetch>;

  before(async () => {
    unlisted = await localServer((_request, response) => response.end('should not be reached'));
    allowed = await localServer((request, response, body) => {
      const url = request.url ?? '/';
      const redirect = (status: number, location: string): void => {
        response.writeHead(status, { location });
        response.end();
      };
      if (url === '/hello') response.writeHead(200, { 'x-test': 'yes' }).end('hello');
      else if (url === '/echo') response.end(JSON.stringify({ method: request.method, body, auth: request.headers.authorization ?? null, type: request.headers['content-type'] ?? null }));
      else if (url === '/to-hello') redirect(302, '/hello');
      else if (url === '/to-unlisted') redirect(302, `http://127.0.0.1:${unlisted.port}/`);
      else if (url === '/to-metadata') redirect(302, 'http://169.254.169.254/latest/meta-data/');
      else if (url === '/to-file') redirect(302, 'file:///etc/passwd');
      else if (url === '/see-other') redirect(303, '/echo');
      else if (url === '/loop') redirect(302, '/loop');
      else if (url === '/big') response.end('x'.repeat(2000));
      else if (url === '/slow') response.writeHead(200).write('partial');
      else response.writeHead(404).end();
    });
    fetch = allowListedFetch({ allowHosts: [`127.0.0.1:${allowed.port}`], maxResponseBytes: 1000, timeoutMs: 500 });
  });
  after(async () => {
    await allowed.close();
    await unlisted.close();
  });

  it('fetches from a listed host:port, returning status, headers and body', async () => {
    const response = await fetch(`http://127.0.0.1:${allowed.port}/hello`, {});
    assert.equal(response.status, 200);
    assert.equal(response.headers['x-test'], 'yes');
    assert.equal(response.body, 'hello');
  });

  it('sends method, headers and body', async () => {
    const response = await fetch(`http://127.0.0.1:${allowed.port}/echo`, { method: 'post', headers: { 'Content-Type': 'text/plain' }, body: 'ping' });
    assert.deepEqual(JSON.parse(response.body), { method: 'POST', body: 'ping', auth: null, type: 'text/plain' });
  });

  it('follows a redirect within the allowed host, and turns a POST into a GET on 303', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${allowed.port}/to-hello`, {})).body, 'hello');
    const response = await fetch(`http://127.0.0.1:${allowed.port}/see-other`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'gone' });
    assert.deepEqual(JSON.parse(response.body), { method: 'GET', body: '', auth: null, type: null });
  });

  for (const url of ['http://localhost:PORT/hello', 'http://127.0.0.1:UNLISTED/', 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:PORT/hello', 'http://0x7f.0.0.1:UNLISTED/']) {
    it(`refuses ${url}, which is not listed`, async () => {
      const target = url.replace('UNLISTED', String(unlisted.port)).replace('PORT', String(allowed.port));
      const hitsBefore = allowed.hits() + unlisted.hits();
      await assert.rejects(fetch(target, {}), /fetch refused: .* is not an allowed host\. Allowed hosts: 127\.0\.0\.1:\d+\./);
      assert.equal(allowed.hits() + unlisted.hits(), hitsBefore);
    });
  }

  it('refuses a redirect from an allowed host to an unlisted port, without contacting it', async () => {
    await assert.rejects(
      fetch(`http://127.0.0.1:${allowed.port}/to-unlisted`, {}),
      new RegExp(`127\\.0\\.0\\.1:${unlisted.port} is not an allowed host; http://127\\.0\\.0\\.1:${allowed.port}/to-unlisted redirected there`),
    );
    assert.equal(unlisted.hits(), 0);
  });

  it('refuses redirects to cloud metadata and to file URLs, and redirect loops', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${allowed.port}/to-metadata`, {}), /169\.254\.169\.254 is not an allowed host/);
    await assert.rejects(fetch(`http://127.0.0.1:${allowed.port}/to-file`, {}), /only http and https URLs; got file:/);
    await assert.rejects(fetch(`http://127.0.0.1:${allowed.port}/loop`, {}), /redirected more than 5 times/);
  });

  it('refuses a listed name that resolves to a loopback address', async function () {
    const name = hostname();
    const address = await lookup(name).catch(() => undefined);
    if (!address || isPublicAddress(address.address)) this.skip();
    const byName = allowListedFetch({ allowHosts: [`${name}:${allowed.port}`] });
    await assert.rejects(byName(`http://${name}:${allowed.port}/hello`, {}), new RegExp(`${name} resolves to ${address!.address.replace(/\./g, '\\.')}, a loopback, private or link-local address`));
  });

  it('reaches loopback when the user lists localhost explicitly', async () => {
    const local = allowListedFetch({ allowHosts: [`localhost:${allowed.port}`] });
    assert.equal((await local(`http://localhost:${allowed.port}/hello`, {})).body, 'hello');
  });

  it('caps the response size and the time a fetch may take', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${allowed.port}/big`, {}), /larger than the 1000-byte limit/);
    await assert.rejects(fetch(`http://127.0.0.1:${allowed.port}/slow`, {}), /took longer than its 500 ms limit/);
  });

  it('rate limits calls per minute', async () => {
    const limited = allowListedFetch({ allowHosts: [`127.0.0.1:${allowed.port}`], perMinute: 2 });
    await limited(`http://127.0.0.1:${allowed.port}/hello`, {});
    await limited(`http://127.0.0.1:${allowed.port}/hello`, {});
    await assert.rejects(limited(`http://127.0.0.1:${allowed.port}/hello`, {}), /limited to 2 requests a minute; wait \d+ s/);
  });

  it('refuses malformed URLs, credentials in URLs, a Host header and bad allow-list entries', async () => {
    await assert.rejects(fetch('not a url', {}), /absolute http\(s\) URL/);
    await assert.rejects(fetch(`http://user:pw@127.0.0.1:${allowed.port}/hello`, {}), /cannot carry credentials/);
    await assert.rejects(fetch(`http://127.0.0.1:${allowed.port}/hello`, { headers: { Host: 'example.com' } }), /cannot set the Host header/);
    assert.throws(() => allowListedFetch({ allowHosts: ['http://example.com/'] }), /Invalid allowHosts entry/);
  });
});

describe('sandbox: address policy', () => {
  const cases: [string, boolean][] = [
    ['8.8.8.8', true], ['2606:4700::1111', true], ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false], ['10.1.2.3', false], ['172.16.0.1', false], ['192.168.1.1', false], ['169.254.169.254', false],
    ['100.64.0.1', false], ['0.0.0.0', false], ['::1', false], ['::', false], ['fe80::1', false], ['fd00::1', false],
    ['::ffff:127.0.0.1', false], ['64:ff9b::7f00:1', false], ['2002:7f00:1::', false], ['not an ip', false],
  ];
  for (const [address, isPublic] of cases) {
    it(`${address} is ${isPublic ? 'public' : 'not public'}`, () => assert.equal(isPublicAddress(address), isPublic));
  }
});
