import assert from 'node:assert/strict';
import { components, create, insertMultiple, search } from '@orama/orama';
import { createChunkDb, insertDocs, rankLexically, toDoc } from '../../host/memory/workspaceIndex/chunkDb';
import { codeTokens, createCodeTokenizer, joinedSearchTokens, searchTokens } from '../../host/memory/ranking/codeTokenizer';
import { BM25_RELEVANCE, wholeTokenIndex } from '../../host/memory/ranking/wholeTokenIndex';

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

  it('stems plain words and the words inside identifiers for search, keeping multi-word identifiers whole', () => {
    assert.deepEqual(searchTokens('sorting files by modification time'), ['sort', 'file', 'modif', 'time']);
    assert.deepEqual(searchTokens('def sort_files(paths): returns'), ['def', 'sort_files', 'sort', 'file', 'path', 'return']);
    assert.deepEqual(searchTokens('parseConfigFile http2 $el'), ['parseconfigfile', 'pars', 'config', 'file', 'http2', 'http', '$el', 'el']);
    // Stop words are dropped before stemming could turn them into something else.
    assert.deepEqual(searchTokens('How is this done'), ['done']);
  });

  it('takes tokens computed elsewhere for the documents it is told to expect, and tokenizes anything else itself', () => {
    const tokenizer = createCodeTokenizer();
    const body = 'function loadUserProfile() {}';
    tokenizer.expect([body], ['precomputed tokens']);
    assert.deepEqual(tokenizer.tokenize('readFile', 'english'), ['readfile', 'read', 'file']);
    assert.deepEqual(tokenizer.tokenize(body, 'english'), ['precomputed', 'tokens']);
    assert.deepEqual(tokenizer.tokenize(body, 'english'), searchTokens(body), 'each expected text is taken once');
    assert.equal(joinedSearchTokens(body), searchTokens(body).join(' '));
  });

  it('adds to the score of a chunk whose symbol names the query, and only to it', async () => {
    const db = createChunkDb();
    const chunk = (symbol: string, text: string) => ({ path: `${symbol}.py`, startLine: 1, endLine: 2, symbol, language: 'python', text });
    await insertDocs(db, [
      toDoc(chunk('walk', 'def walk(root, key):\n    """Lists the files below root, to sort them by key."""'), 'a'),
      toDoc(chunk('sort_files', 'def sort_files(paths, key):\n    """Orders paths by key."""'), 'b'),
      // Other code, so that the query's words are rare, as in a real index.
      ...Array.from({ length: 20 }, (_, i) => toDoc(chunk(`other${i}`, `def other${i}(value):\n    """Returns value plus ${i}."""`), `c${i}`)),
    ]);
    const ranked = await rankLexically(db, { term: 'sort files', limit: 5 });
    const bodyOnly = (await search(db, { term: 'sort files', properties: ['body'], relevance: BM25_RELEVANCE })).hits;
    assert.deepEqual(ranked.map((h) => h.id), ['b', 'a']);
    const gain = (id: string) => ranked.find((h) => h.id === id)!.score - bodyOnly.find((h) => h.id === id)!.score;
    assert.ok(gain('b') > 0.3, `symbol match adds ${gain('b')}`);
    assert.ok(Math.abs(gain('a')) < 1e-9);
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
