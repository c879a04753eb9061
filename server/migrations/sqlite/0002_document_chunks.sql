    -- Automerge chunks per document, in order: a save() snapshot, then save_after() increments.
    CREATE TABLE document_chunks (
        document TEXT NOT NULL,
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (document, seq)
    ) WITHOUT ROWID;
