//! Which documents the relay holds, by record type (the population an auditor samples from).

use shared::access::RecordScope;

use super::{Result, Store, on_db};

impl Store {
    /// Every document of one of `kinds`, with its scope, ordered by id.
    pub fn documents_of_kinds(&self, kinds: &[&str]) -> Result<Vec<(String, RecordScope)>> {
        type Row = (String, String, Option<String>, Option<String>, bool);
        let mut out = vec![];
        for kind in kinds {
            let rows: Vec<Row> = self.run(async {
                on_db!(self, pool => sqlx::query_as(
                    "SELECT id, kind, site, team, restricted FROM documents WHERE kind = $1 ORDER BY id",
                )
                .bind(kind)
                .fetch_all(pool)
                .await)
            })?;
            out.extend(rows.into_iter().map(|(id, kind, site, team, restricted)| {
                (
                    id,
                    RecordScope {
                        kind,
                        site,
                        team,
                        restricted,
                    },
                )
            }));
        }
        Ok(out)
    }
}
