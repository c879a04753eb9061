    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE roles (person INTEGER NOT NULL REFERENCES people(id), role TEXT NOT NULL,
                        PRIMARY KEY (person, role));
    CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE site_members (person INTEGER NOT NULL REFERENCES people(id),
                               site TEXT NOT NULL REFERENCES sites(id), PRIMARY KEY (person, site));
    CREATE TABLE team_members (person INTEGER NOT NULL REFERENCES people(id),
                               team TEXT NOT NULL REFERENCES teams(id), PRIMARY KEY (person, team));
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        device TEXT NOT NULL REFERENCES devices(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        site TEXT,
        team TEXT,
        restricted INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE receipts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        hash TEXT NOT NULL UNIQUE,
        document TEXT NOT NULL,
        person INTEGER NOT NULL REFERENCES people(id),
        device TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        device_time INTEGER,
        author TEXT
    );
    CREATE INDEX receipts_by_document ON receipts(document, seq);
