import { components } from '@orama/orama';
import type { radix } from '@orama/orama/trees';

type OramaIndex = typeof components.index;
type RadixNode = radix.RadixNode;

/**
 * BM25 parameters. Orama divides a token's frequency by the field's length already, so its default length
 * normalisation (b = 0.75) penalises long documents twice; b = 0.5 ranked CoSQA better (see bench/memory.ts).
 */
export const BM25_RELEVANCE = { k: 1.2, b: 0.5, d: 0.5 } as const;

/**
 * Orama's index component with a search that matches whole tokens only, and a leaner way of recording tokens.
 *
 * Search: Orama matches query words as prefixes Orama matches query words as prefixes
 * unless `exact` is set, and `exact` also adds a case-sensitive filter on the raw text; Keel wants neither (prefixes
 * made "get" match every `getter…` and cut CoSQA MRR@10 from 0.22 to 0.05). Orama's word lookup also de-duplicates document ids
 * with `Array.includes`, quadratic in a token's document count (p95 275 ms at 60k chunks), and its scoring builds a
 * Map per matching document. This search reads the token's radix node directly and scores with Orama's BM25 formula
 * and statistics; it returns every match, as Orama's does with its default threshold. A test checks its scores
 * against Orama's own.
 *
 * Insertion: Orama counts each token's occurrences by scanning all of the document's tokens (quadratic in chunk
 * size) and stores a frequency object per document (most of the index's memory). The tokenizers give each token
 * once, so the frequency is 1 / length and only the number of documents per token needs recording.
 */
export const wholeTokenIndex: OramaIndex = {
  ...components.index,
  insertTokenScoreParameters(index, property, _id, _tokens, token) {
    const occurrences = index.tokenOccurrences[property]!;
    // Own properties only: a token such as `constructor` must not read Object.prototype.
    occurrences[token] = (Object.hasOwn(occurrences, token) ? occurrences[token]! : 0) + 1;
  },
  search(index, term, tokenizer, language, properties, _exact, _tolerance, boost, { k, b, d }, docsCount, whereFiltersIDs) {
    // Internal ids are small consecutive integers: an array beats a Map for summing scores.
    const scores = new Float64Array(index.sharedInternalDocumentStore.internalIdToId.length + 1);
    const matched: number[] = [];
    const tokens = tokenizer.tokenize(term, language);
    for (const property of properties) {
      const tree = index.indexes[property];
      if (tree?.type !== 'Radix') continue;
      const weight = boost[property] ?? 1;
      const lengths = index.fieldLengths[property]!;
      const averageLength = index.avgFieldLength[property]!;
      for (const token of tokens) {
        const ids = documentsWith(tree.node, token);
        if (!ids) continue;
        const occurrences = index.tokenOccurrences[property]!;
        const matching = Object.hasOwn(occurrences, token) ? occurrences[token]! : 0;
        const idf = Math.log(1 + (docsCount - matching + 0.5) / (matching + 0.5));
        for (const id of ids) {
          if (whereFiltersIDs && !whereFiltersIDs.has(id)) continue;
          const length = lengths[id]!;
          // Orama's term frequency is occurrences / field length, and the tokenizers give each token once.
          const tf = 1 / length;
          if (scores[id] === 0) matched.push(id);
          scores[id]! += weight * ((idf * (d + tf * (k + 1))) / (tf + k * (1 - b + (b * length) / averageLength)));
        }
      }
    }
    return matched.map((id) => [id, scores[id]!] as [number, number]).sort((x, y) => y[1] - x[1]);
  },
};

/** The ids of the documents holding exactly `word`: a descent along the edges that spell it. */
function documentsWith(root: RadixNode, word: string): ReadonlySet<number> | undefined {
  let node = root;
  for (let i = 0; i < word.length; ) {
    const child = node.c.get(word[i]!);
    if (!child || !word.startsWith(child.s, i)) return undefined;
    i += child.s.length;
    node = child;
  }
  return node.e && node.d.size > 0 ? (node.d as ReadonlySet<number>) : undefined;
}
