-- Chunks are named by the SHA-256 of their bytes within their document (as automerge-repo and
-- samod name them), so writing one twice is harmless, and ordered by one sequence over all
-- documents, so that relays sharing a database never contend for a per-document number.
-- Chunks from before keep a name made from their old position.
CREATE TABLE chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    document TEXT NOT NULL,
    name TEXT NOT NULL,
    bytes BLOB NOT NULL,
    heads BLOB,
    UNIQUE (document, name)
);
INSERT INTO chunks (document, name, bytes, heads)
    SELECT document, 'seq-' || seq, bytes, heads FROM document_chunks ORDER BY document, seq;
DROP TABLE document_chunks;
ALTER TABLE chunks RENAME TO document_chunks;
CREATE INDEX document_chunks_in_order ON document_chunks(document, seq);
