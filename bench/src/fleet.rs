//! Many devices at once on Outpost's relay, for the live fan-out and many-devices benchmarks.
//!
//! A fleet is made of groups: the devices of a group hold the same records (a site's tablets,
//! each with the site's open incidents), so a change one of them makes must reach the others.
//! Every device is a native client on `shared::sync::Session` (the app's state machine) over its
//! own WebSocket, signed in as a technician of its group's site.
//!
//! Sign-ins are made in the relay's database before the devices connect
//! ([`provision`]): a device signs in once in its life, and 10,000 argon2 verifications (19 MiB
//! and ~50 ms each, by design) would measure the password hash, not sync. One person per
//! [`DEVICES_PER_PERSON`] devices keeps within the relay's default `--max-connections-per-person`.
//!
//! Each device records when it applied every change it received; [`Fleet::deliveries`] matches
//! them with when the writer committed the change. Devices run as tasks of the load
//! generator's runtime, so their times include waiting for each other's work on the same
//! cores; devices picked as `own_thread` run on their own thread, as a tablet has its own CPU,
//! so what they measure is the relay's part (and the machine's).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::{Automerge, ChangeHash};
use futures::future::join_all;
use shared::access::Role;
use shared::ids::DocumentId;
use shared::sync::Effect;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::Result;
use crate::load::{self, Client, Docs, Login, Until};
use crate::report::ms;
use crate::servers::Server;

/// Devices per person: the relay's default `--max-connections-per-person`.
pub const DEVICES_PER_PERSON: usize = 8;
/// Devices connecting and syncing their records at once while the fleet starts.
const CONNECTING: usize = 64;

/// Devices that hold the same records.
#[derive(Debug, Clone, Copy)]
pub struct GroupSpec {
    pub devices: usize,
    pub records: usize,
}

/// A running fleet. Stop it with [`Fleet::stop`].
pub struct Fleet {
    devices: Vec<Device>,
    groups: Vec<Group>,
    log: Arc<Log>,
    /// From the first connect until every device held its records.
    pub start_time: Duration,
}

struct Device {
    group: usize,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

struct Group {
    devices: Range<usize>,
    records: Vec<DocumentId>,
}

enum Command {
    /// Edit one of the group's records and send the change; answer its hash.
    Edit {
        record: usize,
        sent: Option<oneshot::Sender<ChangeHash>>,
    },
    /// Answer the heads of every record held.
    Heads(oneshot::Sender<Vec<(DocumentId, Vec<ChangeHash>)>>),
}

/// What the devices saw, shared by their tasks.
#[derive(Default)]
struct Log {
    /// Change → (writer, when it was committed).
    sent: Mutex<HashMap<ChangeHash, (usize, Instant)>>,
    /// Change → (device, when it applied it).
    received: Mutex<HashMap<ChangeHash, Vec<(usize, Instant)>>>,
    errors: Mutex<Vec<String>>,
    arrived: Notify,
}

impl Log {
    fn error(&self, e: String) {
        self.errors.lock().expect("log").push(e);
    }
}

/// Fan-out times of the changes sent so far.
#[derive(Debug, Clone, Default)]
pub struct Deliveries {
    /// Commit on the writer to applied on a receiver, one entry per (change, receiver), in ms.
    pub all_ms: Vec<f64>,
    /// The same, for the receivers asked for only.
    pub watched_ms: Vec<f64>,
    /// Per change, until the last receiver of its group applied it, in ms.
    pub last_ms: Vec<f64>,
    pub changes: usize,
    /// (change, receiver) pairs that never arrived.
    pub missing: usize,
}

impl Fleet {
    /// Provisions the people and sessions, then connects every device: the first device of each
    /// group uploads the group's records, then the others sync theirs (each its own fork of
    /// them, as a device that downloaded them earlier). Returns once every device holds its
    /// records and the relay has them all.
    pub async fn start(
        server: &Server,
        specs: &[GroupSpec],
        own_thread: &[usize],
        timeout: Duration,
    ) -> Result<Fleet> {
        let data_dir = server.data_dir().ok_or("a fleet needs Outpost's relay")?;
        let base = server.base_url().ok_or("a fleet needs Outpost's relay")?;
        Fleet::start_on(data_dir, &base, specs, own_thread, timeout).await
    }

    /// [`Fleet::start`] on the relay serving `base` (`http://host:port`) from `data_dir`.
    pub async fn start_on(
        data_dir: &Path,
        base: &str,
        specs: &[GroupSpec],
        own_thread: &[usize],
        timeout: Duration,
    ) -> Result<Fleet> {
        let base = base.to_owned();
        let mut groups = vec![];
        let mut group_of = vec![];
        for (g, spec) in specs.iter().enumerate() {
            let first = group_of.len();
            group_of.extend(std::iter::repeat_n(g, spec.devices));
            groups.push((first..group_of.len(), spec.records));
        }
        let logins = {
            let (data_dir, group_of) = (data_dir.to_path_buf(), group_of.clone());
            tokio::task::spawn_blocking(move || provision(&data_dir, &base, &group_of))
                .await
                .map_err(|e| format!("provisioning panicked: {e}"))??
        };

        let started = Instant::now();
        let log = Arc::new(Log::default());
        let connecting = Arc::new(Semaphore::new(CONNECTING));
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<()>>();
        let mut devices = Vec::with_capacity(logins.len());
        let mut fleet_groups = vec![];
        let mut logins = logins.into_iter();
        let mut n = 0;
        for (g, (range, records)) in groups.into_iter().enumerate() {
            let docs: Arc<Vec<(DocumentId, Automerge)>> = Arc::new(
                (0..records)
                    .map(|r| load::incident_doc_at(n + r, &site(g)))
                    .collect(),
            );
            n += records;
            let (uploaded_tx, uploaded_rx) = watch::channel(false);
            let uploaded_tx = Arc::new(uploaded_tx);
            for ix in range.clone() {
                let (commands, commands_rx) = mpsc::unbounded_channel();
                let setup = Setup {
                    ix,
                    login: logins.next().ok_or("fewer sessions than devices")?,
                    docs: docs.clone(),
                    first: ix == range.start,
                    uploaded: (uploaded_tx.clone(), uploaded_rx.clone()),
                    connecting: connecting.clone(),
                    timeout,
                };
                let run = device(setup, ready_tx.clone(), commands_rx, log.clone());
                let task = if own_thread.contains(&ix) {
                    tokio::task::spawn_blocking(move || {
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("a runtime for one device")
                            .block_on(run)
                    })
                } else {
                    tokio::spawn(run)
                };
                devices.push(Device {
                    group: g,
                    commands,
                    task,
                });
            }
            fleet_groups.push(Group {
                devices: range,
                records: docs.iter().map(|(id, _)| *id).collect(),
            });
        }
        drop(ready_tx);
        let mut fleet = Fleet {
            devices,
            groups: fleet_groups,
            log,
            start_time: Duration::ZERO,
        };
        for done in 0..fleet.devices.len() {
            match ready_rx.recv().await {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    fleet.stop().await;
                    return Err(format!("device set-up failed ({done} ready): {e}").into());
                }
                None => break,
            }
        }
        fleet.start_time = started.elapsed();
        Ok(fleet)
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// Device `writer` edits its group's record `record`; returns the change's hash once sent.
    pub async fn edit(&self, writer: usize, record: usize) -> Result<ChangeHash> {
        let (sent, hash) = oneshot::channel();
        self.devices[writer]
            .commands
            .send(Command::Edit {
                record,
                sent: Some(sent),
            })
            .map_err(|_| format!("device {writer} has stopped"))?;
        Ok(hash
            .await
            .map_err(|_| format!("device {writer} stopped before sending"))?)
    }

    /// Device `writer` edits its group's record `record` and does not wait.
    pub fn edit_now(&self, writer: usize, record: usize) {
        let _ = self.devices[writer]
            .commands
            .send(Command::Edit { record, sent: None });
    }

    /// Records in `device`'s group.
    pub fn records_of(&self, device: usize) -> usize {
        self.groups[self.devices[device].group].records.len()
    }

    /// Waits until every other device of the writer's group applied `change`, or `timeout`.
    pub async fn wait_delivered(&self, writer: usize, change: ChangeHash, timeout: Duration) {
        let group = &self.groups[self.devices[writer].group];
        let want = group.devices.len() - 1;
        let deadline = Instant::now() + timeout;
        loop {
            let arrived = self.log.arrived.notified();
            let have = self
                .log
                .received
                .lock()
                .expect("log")
                .get(&change)
                .map_or(0, Vec::len);
            if have >= want
                || tokio::time::timeout_at(deadline.into(), arrived)
                    .await
                    .is_err()
            {
                return;
            }
        }
    }

    /// Fan-out times of every change sent so far; `watched` picks the receivers reported in
    /// [`Deliveries::watched_ms`].
    pub fn deliveries(&self, watched: impl Fn(usize) -> bool) -> Deliveries {
        let sent = self.log.sent.lock().expect("log");
        let received = self.log.received.lock().expect("log");
        let mut out = Deliveries {
            changes: sent.len(),
            ..Deliveries::default()
        };
        for (hash, &(writer, at)) in sent.iter() {
            let group = &self.groups[self.devices[writer].group];
            let got = received.get(hash).map(Vec::as_slice).unwrap_or_default();
            let mut last: Option<f64> = None;
            for receiver in group.devices.clone().filter(|d| *d != writer) {
                match got.iter().find(|(d, _)| *d == receiver) {
                    Some((_, when)) => {
                        let t = ms(when.saturating_duration_since(at));
                        out.all_ms.push(t);
                        if watched(receiver) {
                            out.watched_ms.push(t);
                        }
                        last = Some(last.map_or(t, |l: f64| l.max(t)));
                    }
                    None => out.missing += 1,
                }
            }
            out.last_ms.extend(last);
        }
        out
    }

    /// Records whose devices do not all hold the same heads (every group's devices should
    /// converge once the edits stop), and devices that did not answer.
    pub async fn diverged(&self) -> usize {
        let mut asked = vec![];
        for device in &self.devices {
            let (reply, heads) = oneshot::channel();
            let _ = device.commands.send(Command::Heads(reply));
            asked.push(heads);
        }
        let answers = join_all(asked).await;
        let mut diverged = 0;
        for group in &self.groups {
            let mut first: Option<HashMap<DocumentId, Vec<ChangeHash>>> = None;
            for d in group.devices.clone() {
                let Ok(heads) = &answers[d] else {
                    diverged += 1;
                    continue;
                };
                let heads: HashMap<_, _> = heads.iter().cloned().collect();
                match &first {
                    None => first = Some(heads),
                    Some(first) => {
                        diverged += group
                            .records
                            .iter()
                            .filter(|id| first.get(id) != heads.get(id))
                            .count();
                    }
                }
            }
        }
        diverged
    }

    /// After edits: waits until every device has carried out its queued commands, then until
    /// every change reached its group and every group's devices hold the same heads, at most
    /// `grace`. Returns how many (record, device) pairs still differ.
    pub async fn settle(&self, grace: Duration) -> usize {
        let deadline = Instant::now() + grace;
        loop {
            // Each device answers after the commands queued before this one.
            let diverged = self.diverged().await;
            let missing = self.deliveries(|_| false).missing;
            if (diverged == 0 && missing == 0) || Instant::now() >= deadline {
                return diverged;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Errors the devices met (a closed connection, an error from the relay, …).
    pub fn errors(&self) -> Vec<String> {
        self.log.errors.lock().expect("log").clone()
    }

    /// Closes every device's connection.
    pub async fn stop(self) {
        let Fleet { devices, .. } = self;
        let tasks: Vec<_> = devices
            .into_iter()
            .map(|d| {
                drop(d.commands);
                d.task
            })
            .collect();
        join_all(tasks).await;
    }
}

/// The site of group `g`.
fn site(g: usize) -> String {
    format!("g{g}")
}

/// What a device needs to set itself up.
struct Setup {
    ix: usize,
    login: Login,
    docs: Arc<Vec<(DocumentId, Automerge)>>,
    /// The group's first device uploads the records; the others wait for it.
    first: bool,
    uploaded: (Arc<watch::Sender<bool>>, watch::Receiver<bool>),
    connecting: Arc<Semaphore>,
    timeout: Duration,
}

impl Setup {
    /// Connects and syncs the group's records until the relay has them all.
    async fn connect(&mut self) -> Result<Client> {
        if !self.first {
            self.uploaded
                .1
                .wait_for(|done| *done)
                .await
                .map_err(|_| "the group's first device failed")?;
        }
        let _permit = self.connecting.acquire().await?;
        let mut client = Client::open(&self.login, Docs::new(), None).await?;
        client.ready(self.timeout).await?;
        // Each device has its own actor, as every tablet does.
        let docs: Vec<_> = self.docs.iter().map(|(id, d)| (*id, d.fork())).collect();
        let want = load::heads_of(docs.iter().map(|(id, d)| (id, d)));
        client.offer(docs);
        client.run(Until::RelayHas, &want, self.timeout).await?;
        if self.first {
            self.uploaded.0.send_replace(true);
        }
        Ok(client)
    }
}

/// One device: sets up, reports ready, then edits on command and logs every change it applies,
/// until its command channel closes.
async fn device(
    mut setup: Setup,
    ready: mpsc::UnboundedSender<Result<()>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    log: Arc<Log>,
) {
    let ix = setup.ix;
    let mut client = match setup.connect().await {
        Ok(client) => client,
        Err(e) => {
            let _ = ready.send(Err(format!("device {ix}: {e}").into()));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let records: Vec<DocumentId> = setup.docs.iter().map(|(id, _)| *id).collect();
    let mut heads: HashMap<DocumentId, Vec<ChangeHash>> = client
        .docs
        .iter()
        .map(|(id, d)| (*id, d.get_heads()))
        .collect();
    let mut edits = 0;
    let far = || Instant::now() + Duration::from_secs(24 * 3600);
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => break,
                Some(Command::Edit { record, sent }) => {
                    let id = records[record % records.len()];
                    let Some(doc) = client.docs.get_mut(&id) else { continue };
                    load::edit_offline(doc, ix * 1_000_000 + edits);
                    edits += 1;
                    let now = doc.get_heads();
                    let at = Instant::now();
                    if let [hash] = now.as_slice() {
                        log.sent.lock().expect("log").insert(*hash, (ix, at));
                        if let Some(sent) = sent {
                            let _ = sent.send(*hash);
                        }
                    }
                    heads.insert(id, now);
                    client.changed(&id);
                }
                Some(Command::Heads(reply)) => {
                    let _ = reply.send(load::heads_of(&client.docs).into_iter().collect());
                }
            },
            effects = client.next_effects(far()) => match effects {
                Ok(effects) => {
                    let at = Instant::now();
                    for effect in effects {
                        let Effect::DocChanged(id) = effect else { continue };
                        let Some(doc) = client.docs.get(&id) else { continue };
                        let before = heads.get(&id).cloned().unwrap_or_default();
                        let new: Vec<ChangeHash> =
                            doc.get_changes_meta(&before).into_iter().map(|c| c.hash).collect();
                        heads.insert(id, doc.get_heads());
                        if !new.is_empty() {
                            let mut received = log.received.lock().expect("log");
                            for hash in new {
                                received.entry(hash).or_default().push((ix, at));
                            }
                            drop(received);
                            log.arrived.notify_waiters();
                        }
                    }
                }
                Err(e) => {
                    log.error(format!("device {ix}: {e}"));
                    break;
                }
            },
        }
    }
    client.close().await;
}

/// Creates, in the relay's database at `data_dir`, a site per group, one technician per
/// [`DEVICES_PER_PERSON`] devices (of the sites of their devices' groups) and a session for
/// every device; `group_of[d]` is device `d`'s group. Returns each device's sign-in.
pub fn provision(data_dir: &Path, base: &str, group_of: &[usize]) -> Result<Vec<Login>> {
    let store = server::store::Store::open(data_dir)?;
    let groups = group_of.iter().max().map_or(0, |g| g + 1);
    for g in 0..groups {
        store.add_group("site", &site(g), "")?;
    }
    let people: Vec<Vec<String>> = group_of
        .chunks(DEVICES_PER_PERSON)
        .map(|devices| {
            let mut sites: Vec<String> = devices.iter().map(|g| site(*g)).collect();
            sites.dedup();
            sites
        })
        .collect();
    // argon2 hashing dominates: one thread per core.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let ids: Vec<i64> = std::thread::scope(|scope| {
        let store = &store;
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let people = &people;
                scope.spawn(move || {
                    people
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(p, sites)| {
                            let id = store.add_person(&server::store::NewPerson {
                                username: format!("bench{p}"),
                                display_name: format!("Bench technician {p}"),
                                password: "bench-password-not-secret".into(),
                                roles: vec![Role::Technician],
                                sites: sites.clone(),
                                teams: vec![],
                            })?;
                            Ok((p, id))
                        })
                        .collect::<Result<Vec<_>, server::store::StoreError>>()
                })
            })
            .collect();
        let mut ids = vec![0; people.len()];
        for worker in workers {
            for (p, id) in worker.join().expect("a provisioning thread")? {
                ids[p] = id;
            }
        }
        Ok::<_, server::store::StoreError>(ids)
    })?;
    let mut logins = Vec::with_capacity(group_of.len());
    for d in 0..group_of.len() {
        let device = format!("device-bench-{d}-{}", uuid::Uuid::new_v4());
        let token = store.start_session(ids[d / DEVICES_PER_PERSON], &device, 24 * 3600 * 1000)?;
        logins.push(Login::with_session(base, device, &token));
    }
    Ok(logins)
}
