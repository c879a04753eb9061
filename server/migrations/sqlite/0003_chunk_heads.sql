    -- The document's heads with this chunk (32-byte change hashes, concatenated), so that the
    -- sync hub can give a fresh device the stored bytes without loading them. NULL in chunks
    -- written before; the hub loads such a document to learn its heads.
    ALTER TABLE document_chunks ADD COLUMN heads BLOB;
