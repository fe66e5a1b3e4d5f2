import assert from 'node:assert/strict';
import { components, create, insertMultiple, search } from '@orama/orama';
import { codeTokens, createCodeTokenizer } from '../../host/memory/codeTokenizer';
import { wholeTokenIndex } from '../../host/memory/wholeTokenIndex';

describe('memory code tokenizer and index', () => {
  it('keeps identifiers whole and splits them at camelCase, PascalCase, snake_case and kebab-case', () => {
    assert.deepEqual(codeTokens('parseConfigFile'), ['parseconfigfile', 'parse', 'config', 'file']);
    assert.deepEqual(codeTokens('XMLHttpRequest'), ['xmlhttprequest', 'xml', 'http', 'request']);
    assert.deepEqual(codeTokens('MAX_RETRY_COUNT'), ['max_retry_count', 'max', 'retry', 'count']);
    assert.deepEqual(codeTokens('no-unused-vars'), ['no-unused-vars', 'unused', 'vars']);
    assert.deepEqual(codeTokens('__init__'), ['__init__', 'init']);
  });

  it('keeps numbers, lowercases, and drops one-letter tokens, stop words and duplicates', () => {
    assert.deepEqual(codeTokens('listen on port 8080 with http2'), ['listen', 'port', '8080', 'http2', 'http']);
    assert.deepEqual(codeTokens('How to read a file in Python'), ['read', 'file', 'python']);
    assert.deepEqual(codeTokens('x = a + b; File file FILE'), ['file']);
  });

  it('works as an Orama tokenizer for documents and queries', async () => {
    const db = create({ schema: { body: 'string' } as const, components: { tokenizer: createCodeTokenizer() } });
    await insertMultiple(db, [{ id: 'a', body: 'function loadUserProfile() {}' }, { id: 'b', body: 'const user_name = "x";' }]);
    const ids = async (term: string) => (await search(db, { term })).hits.map((h) => h.id).sort();
    assert.deepEqual(await ids('profile'), ['a']);
    assert.deepEqual(await ids('user'), ['a', 'b']);
    // The query's parts match too, but the whole identifier ranks its own document first.
    assert.deepEqual((await search(db, { term: 'loadUserProfile' })).hits.map((h) => h.id), ['a', 'b']);
  });

  it("scores whole-token matches exactly as Orama's own exact search does, without prefix matches", async () => {
    const words = ['parse', 'parser', 'config', 'file', 'read', 'write', 'stream', 'buffer'];
    const docs = Array.from({ length: 300 }, (_, i) => ({
      id: String(i),
      kind: i % 3 === 0 ? 'a' : 'b',
      body: Array.from({ length: 3 + (i % 17) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' '),
    }));
    const schema = { kind: 'enum', body: 'string' } as const;
    const stock = create({ schema, components: { tokenizer: components.tokenizer.createTokenizer() } });
    const keel = create({ schema, components: { tokenizer: components.tokenizer.createTokenizer(), index: wholeTokenIndex } });
    await insertMultiple(stock, docs);
    await insertMultiple(keel, docs);
    for (const where of [undefined, { kind: { eq: 'a' } }]) {
      for (const term of ['parse', 'stream', 'config']) {
        const expected = await search(stock, { term, exact: true, limit: 300, where } as never);
        const actual = await search(keel, { term, limit: 300, where } as never);
        assert.ok(expected.count > 10);
        assert.deepEqual(actual.hits.map((h) => [h.id, h.score.toFixed(10)]), expected.hits.map((h) => [h.id, h.score.toFixed(10)]), term);
      }
    }
    await insertMultiple(keel, [{ id: 'proto', kind: 'a', body: 'constructor toString hasOwnProperty' }]);
    const proto = await search(keel, { term: 'constructor tostring', limit: 5 });
    assert.deepEqual(proto.hits.map((h) => h.id), ['proto'], 'tokens named like Object.prototype members are ordinary words');
    assert.ok(Number.isFinite(proto.hits[0]!.score));
    const prefixes = await search(stock, { term: 'pars', limit: 300 });
    assert.ok(prefixes.count > 0, 'Orama matches prefixes by default');
    assert.equal((await search(keel, { term: 'pars', limit: 300 })).count, 0);
  });
});
