import type { VectorStore } from '../ranking/vectorStore';
import { docById, removeDocs, type ChunkDb, type ChunkDoc } from './chunkDb';
import { docId, docsOf, entryOf, recordOf, vectorsOf, type FileEntry } from './fileRecords';
import type { FileRecord } from './recordLog';

/**
 * What a workspace index holds, changed together: the catalog of its files, their chunks as Orama documents and,
 * with an embedder, the chunks' vectors. `IndexUpdater` changes it; `IndexSearcher` reads it.
 */
export class IndexedFiles {
  readonly catalog = new Map<string, FileEntry>();

  constructor(
    readonly db: ChunkDb,
    readonly vectors: VectorStore | undefined,
  ) {}

  /** Catalogs the stored records and keeps their vectors; returns their documents, which the caller inserts. */
  restore(records: Iterable<FileRecord>): ChunkDoc[] {
    const docs: ChunkDoc[] = [];
    for (const record of records) {
      const vectors = this.vectors ? vectorsOf(record, this.vectors.dimensions) : undefined;
      // A record that should have vectors and has none is treated as missing: the next update indexes the file.
      if (this.vectors && record.chunks.length > 0 && vectors?.length !== record.chunks.length) continue;
      this.catalog.set(record.path, entryOf(record));
      const fileDocs = docsOf(record);
      for (const doc of fileDocs) docs.push(doc);
      if (vectors) this.storeVectors(fileDocs, vectors);
    }
    return docs;
  }

  /** Whether anything is indexed, without totalling the whole catalog: that costs milliseconds per search in a large workspace. */
  hasChunks(): boolean {
    for (const entry of this.catalog.values()) if (entry.chunkCount > 0) return true;
    return false;
  }

  async removeFromIndex(path: string, chunkCount: number): Promise<void> {
    const ids = idsOf(path, chunkCount);
    await removeDocs(this.db, ids);
    for (const id of ids) this.vectors?.delete(id);
  }

  storeVectors(docs: readonly ChunkDoc[], vectors: readonly ArrayLike<number>[]): void {
    docs.forEach((doc, i) => this.vectors!.set(doc.id, vectors[i]!, doc));
  }

  docsOf(path: string): ChunkDoc[] {
    return idsOf(path, this.catalog.get(path)?.chunkCount ?? 0).map((id) => docById(this.db, id)!);
  }

  /** Copies, since the store reuses its memory as vectors come and go. */
  vectorsFor(docs: readonly ChunkDoc[]): Float32Array[] {
    return docs.map((doc) => Float32Array.from(this.vectors!.get(doc.id) ?? []));
  }

  recordFor(path: string, entry: Omit<FileEntry, 'chunkCount'>): FileRecord {
    const docs = this.docsOf(path);
    return recordOf(path, entry, docs, this.vectors ? this.vectorsFor(docs) : undefined);
  }

  *records(): Iterable<FileRecord> {
    for (const [path, entry] of this.catalog) yield this.recordFor(path, entry);
  }
}

function idsOf(path: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => docId(path, i));
}
