//! Several Outpost relays on one PostgreSQL database (issue 18), with the load generator's
//! devices spread over them:
//!
//! - [`throughput`]: the same upload (N clients × M new records) through one, two or three
//!   relays, client `i` on relay `i mod relays`; with the CPU each side used, to say where
//!   the limit is;
//! - [`fanout`]: a writer on relay A edits a record one change at a time; how long until a
//!   device on relay A (same relay) and a device on relay B (through PostgreSQL's
//!   `NOTIFY`, the other relay's read of the chunk and its sync) have applied each change.

use std::time::{Duration, Instant};

use automerge::Automerge;

use crate::Result;
use crate::fanout::cpu_seconds;
use crate::load::{self, Client, Docs, Login, Until};
use crate::report::ms;
use crate::servers::{pid_with_arg, pids_where};

/// Quiet time between two edits of the fan-out, as in the relay-level fan-out.
const GAP: Duration = Duration::from_millis(20);

/// Relays sharing one fresh database.
struct Cluster {
    relays: Vec<e2e::Relay>,
    /// The first account, which the first relay printed (the others found it).
    account: (String, String),
}

impl Cluster {
    /// `count` relays on a fresh database (a schema of its own) on the PostgreSQL server at
    /// `server` (`postgres://user@host:port/database`, a user who may create schemas).
    async fn start(server: &str, count: usize) -> Result<Cluster> {
        let database = fresh_database(server)?;
        let mut relays = vec![];
        for _ in 0..count {
            relays.push(e2e::Relay::start_with(&["--database", database.as_str()]).await?);
        }
        let account = relays[0]
            .first_account()
            .ok_or("the first relay printed no first account")?;
        Ok(Cluster { relays, account })
    }

    /// The sync URL of relay `i mod relays`, with the account's credentials (as
    /// [`Login::new`] takes them).
    fn url(&self, i: usize) -> String {
        let relay = &self.relays[i % self.relays.len()];
        let (user, password) = &self.account;
        format!("ws://{user}:{password}@127.0.0.1:{}/sync", relay.port())
    }

    /// The relays' CPU time so far, in seconds.
    fn cpu_seconds(&self) -> Result<f64> {
        let mut total = 0.0;
        for relay in &self.relays {
            let pid = pid_with_arg(&relay.data_dir().display().to_string())
                .ok_or("cannot find a relay's process")?;
            total += cpu_seconds(pid)?;
        }
        Ok(total)
    }
}

/// A new schema on `server` and the URL whose connections use it.
pub fn fresh_database(server: &str) -> Result<String> {
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let out = std::process::Command::new("psql")
        .args([server, "-v", "ON_ERROR_STOP=1", "-qc"])
        .arg(format!("CREATE SCHEMA {schema}"))
        .output()
        .map_err(|e| format!("psql (installed with PostgreSQL): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cannot create a schema on {server}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let sep = if server.contains('?') { '&' } else { '?' };
    Ok(format!("{server}{sep}options=-c%20search_path%3D{schema}"))
}

/// CPU time of every PostgreSQL process on this machine so far, in seconds (its server and
/// backends; other users of the server count too).
fn postgres_cpu_seconds() -> f64 {
    pids_where(|args| args.first().is_some_and(|a| a.contains("postgres")))
        .into_iter()
        .filter_map(|pid| cpu_seconds(pid).ok())
        .sum()
}

/// One upload through `relays` relays.
#[derive(Debug, Clone, Copy)]
pub struct ScaleRun {
    pub relays: usize,
    pub documents: usize,
    pub upload: Duration,
    /// CPU seconds over the upload: the relays together, PostgreSQL, the load generator.
    pub relays_cpu_s: f64,
    pub postgres_cpu_s: f64,
    pub generator_cpu_s: f64,
}

impl ScaleRun {
    pub fn docs_per_second(&self) -> f64 {
        self.documents as f64 / self.upload.as_secs_f64()
    }
}

/// `clients` clients upload `per_client` new records each at once, client `i` through relay
/// `i mod relays`, until acknowledged (signing in is not timed).
pub async fn throughput(
    server: &str,
    relays: usize,
    clients: usize,
    per_client: usize,
    timeout: Duration,
) -> Result<ScaleRun> {
    let cluster = Cluster::start(server, relays).await?;
    let batches: Vec<_> = (0..clients)
        .map(|c| load::incident_docs(per_client, c * per_client))
        .collect();
    let mut logins = vec![];
    for n in 0..clients {
        logins.push(Login::new(&cluster.url(n), &format!("up{n}")).await?);
    }
    let before = (
        cluster.cpu_seconds()?,
        postgres_cpu_seconds(),
        cpu_seconds(std::process::id())?,
    );
    let upload = load::upload_as(logins, batches, timeout).await?;
    Ok(ScaleRun {
        relays,
        documents: clients * per_client,
        upload,
        relays_cpu_s: cluster.cpu_seconds()? - before.0,
        postgres_cpu_s: postgres_cpu_seconds() - before.1,
        generator_cpu_s: cpu_seconds(std::process::id())? - before.2,
    })
}

/// Fan-out times, in ms, one per edit.
#[derive(Debug, Clone, Default)]
pub struct CrossFanout {
    /// To a device on the writer's relay.
    pub same_relay_ms: Vec<f64>,
    /// To a device on the other relay.
    pub other_relay_ms: Vec<f64>,
}

/// Two relays; a writer and a device on relay A and a device on relay B hold one record;
/// the writer edits it `edits` times, one change at a time (the next once both devices have
/// the last, after [`GAP`]).
pub async fn fanout(server: &str, edits: usize, timeout: Duration) -> Result<CrossFanout> {
    let cluster = Cluster::start(server, 2).await?;
    let mut writer = Client::connect(&cluster.url(0), "writer", Docs::new()).await?;
    writer.ready(timeout).await?;
    let (id, doc) = load::incident_doc(0);
    writer.offer([(id, doc)]);
    let mut want = load::heads_of(&writer.docs);
    writer.run(Until::RelayHas, &want, timeout).await?;
    let mut watchers = vec![];
    for (relay, name) in [(0, "near"), (1, "far")] {
        let mut client = Client::connect(&cluster.url(relay), name, Docs::new()).await?;
        client.ready(timeout).await?;
        client.offer([(id, Automerge::new())]);
        client.run(Until::Have, &want, timeout).await?;
        watchers.push(client);
    }
    let [mut near, mut far]: [Client; 2] = watchers.try_into().map_err(|_| "two watchers")?;
    let mut result = CrossFanout::default();
    for n in 0..edits {
        load::edit_offline(writer.docs.get_mut(&id).ok_or("held")?, n);
        writer.changed(&id);
        want = load::heads_of(&writer.docs);
        let target = &want[&id];
        let has = |c: &Client| {
            c.docs
                .get(&id)
                .map(|d| load::heads_of([(&id, d)])[&id].clone())
        };
        let started = Instant::now();
        let deadline = started + timeout;
        let (mut near_at, mut far_at) = (None, None);
        while near_at.is_none() || far_at.is_none() {
            tokio::select! {
                r = writer.next_effects(deadline) => { r?; }
                r = near.next_effects(deadline), if near_at.is_none() => {
                    r?;
                    if has(&near).as_ref() == Some(target) {
                        near_at = Some(started.elapsed());
                    }
                }
                r = far.next_effects(deadline), if far_at.is_none() => {
                    r?;
                    if has(&far).as_ref() == Some(target) {
                        far_at = Some(started.elapsed());
                    }
                }
            }
        }
        result.same_relay_ms.extend(near_at.map(ms));
        result.other_relay_ms.extend(far_at.map(ms));
        // Both watchers and the writer take in what is left (acknowledgements) meanwhile.
        let quiet = Instant::now() + GAP;
        loop {
            tokio::select! {
                r = writer.next_effects(quiet) => if r.is_err() { break },
                r = near.next_effects(quiet) => if r.is_err() { break },
                r = far.next_effects(quiet) => if r.is_err() { break },
            }
        }
    }
    for client in [writer, near, far] {
        client.close().await;
    }
    Ok(result)
}
