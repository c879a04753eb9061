    -- Bumped by every change to who may do what, whichever process made it (the relay's API or
    -- `outpost user …` on the same file): the relay polls it and re-checks its open sync
    -- connections (server/src/revocation.rs). Triggers, so no code path can forget it.
    CREATE TABLE access_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
    INSERT INTO access_revision (id, revision) VALUES (1, 0);
    CREATE TRIGGER access_people AFTER UPDATE OF disabled, password_hash ON people
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_role_granted AFTER INSERT ON roles
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_role_revoked AFTER DELETE ON roles
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_site_joined AFTER INSERT ON site_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_site_left AFTER DELETE ON site_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_team_joined AFTER INSERT ON team_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_team_left AFTER DELETE ON team_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_session_ended AFTER DELETE ON sessions
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    -- A device's secret (its hash), handed to it as a cookie at sign-in: how sign-in knows
    -- a person's own device (auth/throttle.rs).
    ALTER TABLE devices ADD COLUMN secret_hash TEXT;
    -- The change feed's cursor is the relay's clock (receipts.rs says why).
    CREATE INDEX receipts_by_time ON receipts(received_at);
