import * as l10n from '@vscode/l10n';

/** Turns texts into vectors for hybrid search, e.g. a local embedding model or an embeddings API. */
export interface Embedder {
  /** Names the model and version: stored vectors made by another id are not comparable, so the index re-embeds. */
  readonly id: string;
  readonly dimensions: number;
  /** One vector of `dimensions` numbers per text, in order. */
  embed(texts: string[]): Promise<number[][]>;
}

/** The embedder's vectors, checked. A failure's message ends with `nextStep`: what the user can do about it. */
export async function embedChecked(embedder: Embedder, texts: string[], nextStep: string): Promise<number[][]> {
  let vectors: number[][];
  try {
    vectors = await embedder.embed(texts);
  } catch (error) {
    throw new Error(`${l10n.t('The embedder {0} failed ({1}).', embedder.id, (error as Error).message)} ${nextStep}`, { cause: error });
  }
  if (vectors.length !== texts.length || vectors.some((v) => v.length !== embedder.dimensions || !v.every(Number.isFinite))) {
    throw new Error(l10n.t('The embedder {0} returned vectors of the wrong count or size (expected {1} of {2} finite numbers). Check its dimensions setting.', embedder.id, texts.length, embedder.dimensions));
  }
  return vectors;
}
