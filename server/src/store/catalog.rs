//! Which documents the relay holds, by record type (the population an auditor samples from).

use shared::access::RecordScope;

use super::{Result, Store};

impl Store {
    /// Every document of one of `kinds`, with its scope, ordered by id.
    pub fn documents_of_kinds(&self, kinds: &[&str]) -> Result<Vec<(String, RecordScope)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, kind, site, team, restricted FROM documents WHERE kind = ?1 ORDER BY id",
        )?;
        let mut out = vec![];
        for kind in kinds {
            let rows = stmt.query_map([kind], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    RecordScope {
                        kind: r.get(1)?,
                        site: r.get(2)?,
                        team: r.get(3)?,
                        restricted: r.get(4)?,
                    },
                ))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }
}
