import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOT_ROWS_WASM } from '../../host/memory/ranking/dotRowsWasm';
import { fuseRankings } from '../../host/memory/ranking/hybridRanking';
import { VectorStore } from '../../host/memory/ranking/vectorStore';

describe('memory vectors and hybrid ranking', () => {
  const a = { path: 'a.ts', language: 'typescript' };
  const b = { path: 'b.py', language: 'python' };

  it('finds the nearest vectors by cosine similarity, filtered, across growth and deletes', () => {
    const store = new VectorStore(3);
    // More than the initial capacity, so the buffer grows.
    for (let i = 0; i < 3000; i++) store.set(`noise${i}`, [0, 0, 1 + (i % 5)], a);
    store.set('x', [10, 0, 0], a);
    store.set('xy', [1, 1, 0], b);
    store.set('y', [0, 3, 0], b);
    const near = store.nearest([1, 0.1, 0], 3);
    assert.deepEqual(near.map((n) => n.id), ['x', 'xy', 'y']);
    assert.ok(Math.abs(near[0]!.similarity - 1 / Math.hypot(1, 0.1)) < 1e-6);
    assert.deepEqual(store.nearest([1, 0.1, 0], 2, (tags) => tags.language === 'python').map((n) => n.id), ['xy', 'y']);
    store.delete('x');
    store.set('z', [5, 0, 0.1], b);
    assert.equal(store.size, 3003);
    assert.equal(store.nearest([1, 0, 0], 1)[0]!.id, 'z');
    assert.equal(store.get('x'), undefined);
    assert.throws(() => store.set('bad', [1, 2], a), /A vector of 2 numbers does not fit an index of 3 dimensions/);
  });

  it('scores with the SIMD kernel as plain cosine similarity would, for any number of dimensions', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (const dimensions of [1, 13, 768]) {
      const store = new VectorStore(dimensions);
      const vectors = new Map<string, number[]>();
      // Past the first block of rows the kernel scores at once, and past the initial capacity.
      for (let i = 0; i < 5000; i++) {
        const vector = Array.from({ length: dimensions }, random);
        vectors.set(`v${i}`, vector);
        store.set(`v${i}`, vector, i % 2 ? a : b);
      }
      // Freed rows are reused; what a row held before must not leak into its new score.
      for (let i = 0; i < 5000; i += 3) {
        store.delete(`v${i}`);
        vectors.delete(`v${i}`);
      }
      for (let i = 0; i < 100; i++) {
        const vector = Array.from({ length: dimensions }, random);
        vectors.set(`w${i}`, vector);
        store.set(`w${i}`, vector, a);
      }
      const query = Array.from({ length: dimensions }, random);
      const cosine = (v: number[]) => v.reduce((sum, x, i) => sum + x * query[i]!, 0) / Math.hypot(...v) / Math.hypot(...query);
      const expected = [...vectors].map(([id, v]) => ({ id, similarity: cosine(v) })).sort((x, y) => y.similarity - x.similarity);
      const near = store.nearest(query, 20);
      assert.equal(near.length, Math.min(20, vectors.size));
      near.forEach((n, i) => assert.ok(Math.abs(n.similarity - expected[i]!.similarity) < 1e-5, `${dimensions} dims, rank ${i}: ${n.similarity} vs ${expected[i]!.similarity}`));
      // With one dimension every similarity is 1 or -1: the scores above are all there is to compare.
      if (dimensions === 1) continue;
      assert.deepEqual(new Set(near.slice(0, 5).map((n) => n.id)), new Set(expected.slice(0, 5).map((e) => e.id)));
      const python = store.nearest(query, 5, (tags) => tags.language === 'python');
      assert.deepEqual(python.map((n) => n.id), expected.filter(({ id }) => id.startsWith('v') && Number(id.slice(1)) % 2 === 0).slice(0, 5).map((e) => e.id));
    }
  });

  it('ships the kernel compiled from dotRows.wat (npm run build recompiles it)', async () => {
    const wabt = await (await import('wabt')).default();
    const source = join(__dirname, '..', '..', 'host', 'memory', 'ranking', 'dotRows.wat');
    const module = wabt.parseWat(source, await readFile(source, 'utf8'), { simd: true });
    assert.equal(Buffer.from(module.toBinary({}).buffer).toString('base64'), DOT_ROWS_WASM);
    module.destroy();
  });

  it('fuses BM25 and similarity as Orama does: each normalised by its best, weighted equally', () => {
    const fused = fuseRankings(
      [{ id: 'both', score: 4 }, { id: 'text', score: 8 }],
      [{ id: 'both', score: 0.9 }, { id: 'vector', score: 0.3 }],
      10,
    );
    assert.deepEqual(fused.map((f) => [f.id, Number(f.score.toFixed(4))]), [['both', 0.75], ['text', 0.5], ['vector', 0.1667]]);
    assert.deepEqual(fuseRankings([], [{ id: 'v', score: -0.2 }], 5), []);
    assert.equal(fuseRankings([{ id: 'a', score: 1 }, { id: 'b', score: 0.5 }], [], 1).length, 1);
  });
});
