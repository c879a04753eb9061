-- Attachments' bytes (shared::attachments), named by their SHA-256. A blob is uploaded in
-- chunks of at most 1 MiB (`blob_chunks`, one row each, so a file is never one huge value
-- and is served a chunk at a time); `received` counts the bytes so far, which a device
-- resumes from; `complete` once they hash to `hash`. `uploaded_by` is whose quota it counts in.
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    uploaded_by INTEGER NOT NULL REFERENCES people(id),
    complete BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX blobs_by_uploader ON blobs(uploaded_by);
CREATE TABLE blob_chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL REFERENCES blobs(hash) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    UNIQUE (hash, start)
);
-- Which documents name a blob in their `attachments`: kept as documents are committed, so the
-- relay serves (and accepts) a blob only for people who may read a record that references it.
-- Only ever added to: nothing a document once referenced is deleted.
CREATE TABLE blob_references (
    hash TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (hash, document)
);
