import type { Embedder } from '../../host/models';

/**
 * A deterministic embedder for tests: each lowercased word (and each camelCase part) is hashed into one of 256
 * dimensions, the bag is L2-normalised. Texts sharing words get similar vectors, and nothing is downloaded.
 * `synonyms` map words onto others, standing in for what a real model knows (car ≈ automobile).
 * Counts what it was asked to embed, so tests can tell what was re-embedded.
 */
export class HashEmbedder implements Embedder {
  readonly dimensions = 256;
  calls = 0;
  texts = 0;
  /** Throws once asked to embed more than this many texts in all, to simulate a crash mid-index. */
  failAfterTexts = Infinity;

  constructor(
    readonly id = 'test-hash-256',
    private readonly synonyms: Record<string, string> = {},
  ) {}

  async embed(texts: string[]): Promise<number[][]> {
    this.calls++;
    if (this.texts + texts.length > this.failAfterTexts) throw new Error('embedding server went away');
    this.texts += texts.length;
    return texts.map((text) => this.vector(text));
  }

  private vector(text: string): number[] {
    const vector = new Array<number>(this.dimensions).fill(0);
    const words = text.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().match(/[a-z0-9]{2,}/g) ?? [];
    for (const word of words) vector[fnv1a(Object.hasOwn(this.synonyms, word) ? this.synonyms[word]! : word) % this.dimensions]! += 1;
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }
}

/** 32-bit FNV-1a: fast, and the same on every machine. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
