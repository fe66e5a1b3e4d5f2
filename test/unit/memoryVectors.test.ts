import assert from 'node:assert/strict';
import { fuseRankings } from '../../host/memory/hybridRanking';
import { VectorStore } from '../../host/memory/vectorStore';

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
