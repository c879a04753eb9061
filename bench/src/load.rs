//! The load generator: native sync clients built on `shared::sync::Session`, the way the
//! browser app drives it (and the way `server/tests/relay.rs` does), over real WebSockets.
//!
//! Every client speaks automerge-repo's WebSocket protocol, so the same code drives Outpost's
//! relay and the automerge-repo reference sync server.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use automerge::{Automerge, ChangeHash};
use futures::stream::SplitStream;
use futures::{SinkExt, StreamExt};
use shared::forms::{Nothing, Values, log_incident};
use shared::ids::{DocumentId, PeerId};
use shared::index;
use shared::numbering::record_number;
use shared::priority::Level;
use shared::records::ChangeMeta;
use shared::records::incident::{self, Incident, IncidentEdit, IncidentStatus};
use shared::sync::{Effect, Session, unsynced_changes};
use shared::time::Timestamp;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message as Ws};

use crate::Result;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Each connection's WebSocket read buffer and write batch, in bytes.
const SOCKET_BUFFER: usize = 8 * 1024;

/// A document set, as a device holds it.
pub type Docs = HashMap<DocumentId, Automerge>;

/// The change metadata every generated change carries.
pub fn meta(author: &str) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("{author}-tablet"),
        at: Timestamp(1_764_000_000_000),
    }
}

/// A small record document: a new incident, as the app's form creates it (`n` varies the text).
pub fn incident_doc(n: usize) -> (DocumentId, Automerge) {
    incident_doc_at(n, "")
}

/// [`incident_doc`] at `site` ("" for none), which scopes it on the relay.
pub fn incident_doc_at(n: usize, site: &str) -> (DocumentId, Automerge) {
    let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
    let levels = [Level::High, Level::Medium, Level::Low];
    let edit = IncidentEdit {
        title: format!("Router down at depot {n}"),
        description: format!("Site {}, rack {}: no link since the storm", n % 97, n % 7),
        impact: levels[n % 3],
        urgency: levels[(n / 3) % 3],
        status: IncidentStatus::New,
        assignee: String::new(),
        note: "Power-cycled the router; no change".into(),
    };
    let meta = meta("ana");
    let number = record_number(incident::NUMBER_PREFIX, &id);
    let mut incident = log_incident(&number, &edit, &meta).expect("a valid incident");
    incident.set("site", site);
    let mut doc = Automerge::new();
    incident.write(&mut doc, &meta).expect("writes");
    (id, doc)
}

/// `count` incident documents.
pub fn incident_docs(count: usize, offset: usize) -> Vec<(DocumentId, Automerge)> {
    (0..count).map(|n| incident_doc(offset + n)).collect()
}

/// The scope index listing `ids`, as the app keeps it.
pub fn index_doc<'a>(ids: impl IntoIterator<Item = &'a DocumentId>) -> (DocumentId, Automerge) {
    let mut doc = Automerge::new();
    let meta = meta("ana");
    for id in ids {
        index::add(&mut doc, id, incident::KIND, &meta).expect("index entry");
    }
    (index::index_id(index::DEFAULT_SCOPE), doc)
}

/// An edit made offline: a work-log note and a new urgency, one Automerge change.
pub fn edit_offline(doc: &mut Automerge, n: usize) {
    let meta = ChangeMeta {
        at: Timestamp(1_764_000_600_000),
        ..meta("ben")
    };
    let urgency = match Incident::read(doc).expect("an incident").urgency {
        Level::Low => Level::High,
        _ => Level::Low,
    };
    let edit = Values::from([
        ("note".to_string(), format!("Checked offline, round {n}")),
        ("urgency".to_string(), urgency.as_str().to_string()),
    ]);
    shared::forms::of(incident::KIND)
        .expect("the incident form")
        .edit(doc, &edit, &Nothing, &meta)
        .expect("a valid edit");
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

/// What a client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The relay's sync replies show it has every change of each document.
    RelayHas,
    /// This client has each document with the heads it is owed.
    Have,
}

/// One device's connection: its documents, a sync session, and a writer task so sending never
/// waits on reading.
pub struct Client {
    pub docs: Docs,
    session: Session,
    out: mpsc::UnboundedSender<Vec<u8>>,
    incoming: SplitStream<Socket>,
    writer: JoinHandle<()>,
    /// Frames received, frames sent (counted for the report).
    pub frames_in: usize,
    pub frames_out: usize,
}

impl Client {
    /// Connects to `url` and sends the `join`. When the server's `peer` arrives, the session
    /// syncs every document in `docs` (what a reconnecting device does today).
    ///
    /// Outpost's relay needs a signed-in session: give its credentials in the URL
    /// (`ws://user:password@host:port/sync`); the client signs in as its own device first. The
    /// reference server takes a plain URL.
    pub async fn connect(url: &str, name: &str, docs: Docs) -> Result<Client> {
        let login = Login::new(url, name).await?;
        Client::open(&login, docs, None).await
    }

    /// Connects as an already signed-in device (as the app does with its kept session) and,
    /// with a `plan`, resumes: only the planned documents sync when the session opens
    /// (`shared::sync::Session::resume`).
    pub async fn open(login: &Login, docs: Docs, plan: Option<Vec<DocumentId>>) -> Result<Client> {
        let (url, cookie, device) = (&login.ws_url, &login.cookie, login.device.clone());
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                url.as_str(),
            )
            .map_err(|e| format!("bad url {url}: {e}"))?;
        if let Some(cookie) = cookie {
            request.headers_mut().insert(
                "cookie",
                cookie
                    .parse()
                    .map_err(|_| "the relay sent an unusable cookie")?,
            );
        }
        // Small socket buffers (tungstenite's 128 KiB defaults are per connection: 10,000
        // devices) and no Nagle delay, as browsers do.
        let config = WebSocketConfig::default()
            .read_buffer_size(SOCKET_BUFFER)
            .write_buffer_size(SOCKET_BUFFER);
        let (socket, _) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async_with_config(request, Some(config), true),
        )
        .await
        .map_err(|_| format!("connecting to {url} timed out"))?
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        let (mut sink, incoming) = socket.split();
        let (out, mut queue) = mpsc::unbounded_channel::<Vec<u8>>();
        let writer = tokio::spawn(async move {
            while let Some(frame) = queue.recv().await {
                if sink.feed(Ws::Binary(frame.into())).await.is_err() {
                    return;
                }
                // Batch what is queued into one flush.
                while let Ok(frame) = queue.try_recv() {
                    if sink.feed(Ws::Binary(frame.into())).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        let mut client = Client {
            docs,
            session: match plan {
                Some(plan) => Session::resume(PeerId(device), plan),
                None => Session::new(PeerId(device)),
            },
            out,
            incoming,
            writer,
            frames_in: 0,
            frames_out: 0,
        };
        let join = client.session.open();
        client.send(join);
        Ok(client)
    }

    fn send(&mut self, frames: Vec<Vec<u8>>) {
        for frame in frames {
            self.frames_out += 1;
            // A closed writer shows up as the socket closing on the read side.
            let _ = self.out.send(frame);
        }
    }

    /// Waits for the handshake.
    pub async fn ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.session.is_ready() {
            self.step(deadline, &mut |_, _| {}).await?;
        }
        Ok(())
    }

    /// Adds (or replaces) documents and announces them to the server: `sync` for documents
    /// with content, `request` for empty ones. Call after [`ready`](Client::ready).
    pub fn offer(&mut self, docs: impl IntoIterator<Item = (DocumentId, Automerge)>) {
        let mut frames = vec![];
        for (id, doc) in docs {
            self.docs.insert(id, doc);
            frames.extend(self.session.local_change(&id, &self.docs));
        }
        self.send(frames);
    }

    /// Processes frames until every document in `want` reached `until`, within `timeout`.
    /// `want` maps ids to the heads they must reach (sorted).
    pub async fn run(
        &mut self,
        until: Until,
        want: &HashMap<DocumentId, Vec<ChangeHash>>,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut pending: HashSet<DocumentId> = want.keys().copied().collect();
        // Documents may already be there (nothing to wait for).
        if until == Until::Have {
            pending.retain(|id| {
                self.docs
                    .get(id)
                    .is_none_or(|d| sorted(d.get_heads()) != want[id])
            });
        }
        let mut unavailable = None;
        while !pending.is_empty() {
            self.step(deadline, &mut |docs, effect| match (until, effect) {
                (Until::RelayHas, Effect::RelayHas { doc, heads })
                    if pending.contains(doc)
                        && docs
                            .get(doc)
                            .is_some_and(|d| unsynced_changes(d, heads) == 0) =>
                {
                    pending.remove(doc);
                }
                (Until::Have, Effect::DocChanged(doc))
                    if pending.contains(doc)
                        && docs.get(doc).map(|d| sorted(d.get_heads()))
                            == want.get(doc).cloned() =>
                {
                    pending.remove(doc);
                }
                (_, Effect::Unavailable(doc)) if want.contains_key(doc) => {
                    unavailable = Some(*doc);
                }
                _ => {}
            })
            .await
            .map_err(|e| {
                format!(
                    "{e} ({} of {} documents pending)",
                    pending.len(),
                    want.len()
                )
            })?;
            if let Some(doc) = unavailable {
                return Err(format!("the server says it does not have {doc}").into());
            }
        }
        Ok(())
    }

    /// Reads one frame, feeds it to the session, sends what it says to send and hands every
    /// other effect to `seen`.
    async fn step(
        &mut self,
        deadline: Instant,
        seen: &mut (dyn FnMut(&Docs, &Effect) + Send),
    ) -> Result<()> {
        for effect in self.next_effects(deadline).await? {
            seen(&self.docs, &effect);
        }
        Ok(())
    }

    /// Reads one frame (waiting until `deadline`), feeds it to the session, sends what it says
    /// to send and returns the other effects. Cancel-safe: dropped while waiting, it has read
    /// nothing.
    pub async fn next_effects(&mut self, deadline: Instant) -> Result<Vec<Effect>> {
        let frame = tokio::time::timeout_at(deadline.into(), self.incoming.next())
            .await
            .map_err(|_| "timed out")?
            .ok_or("the server closed the connection")?
            .map_err(|e| format!("websocket: {e}"))?;
        let Ws::Binary(frame) = frame else {
            return Ok(vec![]);
        };
        self.frames_in += 1;
        let effects = self
            .session
            .receive(&frame, &mut self.docs)
            .map_err(|e| e.to_string())?;
        let mut frames = vec![];
        let mut others = vec![];
        for effect in effects {
            match effect {
                Effect::Send(frame) => frames.push(frame),
                Effect::RemoteError(message) => {
                    return Err(format!("the server reported: {message}").into());
                }
                other => others.push(other),
            }
        }
        self.send(frames);
        Ok(others)
    }

    /// Announces a change made to the held document `id` (e.g. through `docs`).
    pub fn changed(&mut self, id: &DocumentId) {
        let frames = self.session.local_change(id, &self.docs);
        self.send(frames);
    }

    /// Closes the connection (the writer sends a close frame) and waits for the writer.
    pub async fn close(self) {
        let Client { out, writer, .. } = self;
        drop(out);
        let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    }
}

/// Heads to wait for, per document.
pub fn heads_of<'a>(
    docs: impl IntoIterator<Item = (&'a DocumentId, &'a Automerge)>,
) -> HashMap<DocumentId, Vec<ChangeHash>> {
    docs.into_iter()
        .map(|(id, d)| (*id, sorted(d.get_heads())))
        .collect()
}

/// `batches.len()` clients connect concurrently, each uploads its batch and waits until the
/// server's replies show it has all of it. Returns the wall time from the first connect to
/// the last acknowledgement. Each client signs in first (not timed).
pub async fn upload(
    url: &str,
    batches: Vec<Vec<(DocumentId, Automerge)>>,
    timeout: Duration,
) -> Result<Duration> {
    let mut logins = vec![];
    for n in 0..batches.len() {
        logins.push(Login::new(url, &format!("up{n}")).await?);
    }
    upload_as(logins, batches, timeout).await
}

/// [`upload`] by devices already signed in, one per batch.
pub async fn upload_as(
    logins: Vec<Login>,
    batches: Vec<Vec<(DocumentId, Automerge)>>,
    timeout: Duration,
) -> Result<Duration> {
    let started = Instant::now();
    let mut tasks = vec![];
    for (login, batch) in logins.into_iter().zip(batches) {
        tasks.push(tokio::spawn(async move {
            let mut client = Client::open(&login, Docs::new(), None).await?;
            client.ready(timeout).await?;
            let want = heads_of(batch.iter().map(|(id, d)| (id, d)));
            client.offer(batch);
            client.run(Until::RelayHas, &want, timeout).await?;
            client.close().await;
            Ok::<(), crate::Error>(())
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| format!("an upload client panicked: {e}"))??;
    }
    Ok(started.elapsed())
}

/// A fresh client asks for every document in `want` by id (`request`) and waits until it has
/// each with the given heads. Returns the wall time and the documents.
pub async fn download(
    url: &str,
    want: &HashMap<DocumentId, Vec<ChangeHash>>,
    timeout: Duration,
) -> Result<(Duration, Docs)> {
    download_as(&Login::new(url, "fresh").await?, want, timeout).await
}

/// [`download`] by a device already signed in.
pub async fn download_as(
    login: &Login,
    want: &HashMap<DocumentId, Vec<ChangeHash>>,
    timeout: Duration,
) -> Result<(Duration, Docs)> {
    let started = Instant::now();
    let mut client = Client::open(login, Docs::new(), None).await?;
    client.ready(timeout).await?;
    let mut ids: Vec<DocumentId> = want.keys().copied().collect();
    ids.sort();
    client.offer(ids.into_iter().map(|id| (id, Automerge::new())));
    client.run(Until::Have, want, timeout).await?;
    let elapsed = started.elapsed();
    let docs = std::mem::take(&mut client.docs);
    client.close().await;
    Ok((elapsed, docs))
}

/// What a reconnect cost.
#[derive(Debug, Clone, Copy)]
pub struct Reconnect {
    pub elapsed: Duration,
    pub frames_out: usize,
    pub frames_in: usize,
}

/// A device that holds `docs` (all on the server except its offline edits) reconnects with a
/// fresh session, which syncs every document it holds; returns the time until the server's
/// replies show it has every change of every document (both sides converged).
pub async fn reconnect(url: &str, docs: Docs, timeout: Duration) -> Result<(Reconnect, Docs)> {
    let want = heads_of(&docs);
    let started = Instant::now();
    let mut client = Client::connect(url, "reconnect", docs).await?;
    client.run(Until::RelayHas, &want, timeout).await?;
    let result = Reconnect {
        elapsed: started.elapsed(),
        frames_out: client.frames_out,
        frames_in: client.frames_in,
    };
    let docs = std::mem::take(&mut client.docs);
    client.close().await;
    Ok((result, docs))
}

/// A device signed in once (the relay's session cookie), reused across reconnects.
pub struct Login {
    pub device: String,
    /// The WebSocket URL without credentials.
    pub ws_url: String,
    pub cookie: Option<String>,
}

impl Login {
    pub async fn new(url: &str, name: &str) -> Result<Login> {
        let device: String = format!("device-bench-{name}-{}", uuid::Uuid::new_v4())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let (ws_url, cookie) = sign_in(url, &device).await?;
        Ok(Login {
            device,
            ws_url,
            cookie,
        })
    }

    /// A device whose session the benchmark created in the relay's database (see
    /// [`crate::fleet`]): `base` is the relay's `http://host:port`.
    pub fn with_session(base: &str, device: String, token: &str) -> Login {
        Login {
            device,
            ws_url: format!("{}/sync", base.replacen("http://", "ws://", 1)),
            cookie: Some(format!("{}={token}", server::auth::COOKIE)),
        }
    }

    /// The relay's change feed: documents changed since `since`, and the next cursor.
    pub async fn changes_since(&self, since: i64) -> Result<(Vec<DocumentId>, i64)> {
        let host = self
            .ws_url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .ok_or("no host in the url")?;
        let cookie = self
            .cookie
            .as_deref()
            .ok_or("the change feed needs a session")?;
        let feed: serde_json::Value = reqwest::Client::new()
            .get(format!("http://{host}/api/changes?since={since}"))
            .header("cookie", cookie)
            .send()
            .await
            .map_err(|e| format!("change feed: {e}"))?
            .json()
            .await
            .map_err(|e| format!("change feed: {e}"))?;
        let docs = feed["documents"]
            .as_array()
            .ok_or("change feed: no documents")?
            .iter()
            .filter_map(|d| d.as_str()?.parse().ok())
            .collect();
        let cursor = feed["cursor"].as_i64().ok_or("change feed: no cursor")?;
        Ok((docs, cursor))
    }
}

/// What a device remembers between connections for the change-feed reconnect: the heads the
/// relay had of each document and the feed cursor (the app keeps both in IndexedDB).
pub struct Remembered {
    pub relay_heads: HashMap<DocumentId, Vec<ChangeHash>>,
    pub cursor: i64,
}

/// The app's reconnect (app/src/sync/mod.rs): read the change feed since the last cursor,
/// plan with `shared::sync::reconnect_plan`, and resume a session that syncs only the plan.
/// Timed from the feed request until the relay has every change of every planned document.
pub async fn reconnect_with_feed(
    login: &Login,
    docs: Docs,
    remembered: &mut Remembered,
    timeout: Duration,
) -> Result<(Reconnect, Docs)> {
    let started = Instant::now();
    let (changed, cursor) = login.changes_since(remembered.cursor).await?;
    let plan = shared::sync::reconnect_plan(
        &docs,
        |id| remembered.relay_heads.get(id).cloned().unwrap_or_default(),
        &changed,
        &[],
    );
    let want: HashMap<DocumentId, Vec<ChangeHash>> = plan
        .iter()
        .filter_map(|id| Some((*id, sorted(docs.get(id)?.get_heads()))))
        .collect();
    let mut client = Client::open(login, docs, Some(plan)).await?;
    client.run(Until::RelayHas, &want, timeout).await?;
    let result = Reconnect {
        elapsed: started.elapsed(),
        frames_out: client.frames_out,
        frames_in: client.frames_in,
    };
    remembered.relay_heads.extend(want);
    remembered.cursor = cursor;
    let docs = std::mem::take(&mut client.docs);
    client.close().await;
    Ok((result, docs))
}

/// For a URL with credentials (`ws://user:password@host/sync`): signs in to the relay as
/// `device` and returns the URL without them and the session cookie. Other URLs pass through.
async fn sign_in(url: &str, device: &str) -> Result<(String, Option<String>)> {
    let Some(rest) = url.strip_prefix("ws://") else {
        return Ok((url.to_string(), None));
    };
    let Some((userinfo, host_path)) = rest.split_once('@') else {
        return Ok((url.to_string(), None));
    };
    let (user, password) = userinfo
        .split_once(':')
        .ok_or("credentials need user:password")?;
    let host = host_path.split('/').next().unwrap_or(host_path);
    let response = reqwest::Client::new()
        .post(format!("http://{host}/api/session"))
        .json(&serde_json::json!({"username": user, "password": password, "device": device}))
        .send()
        .await
        .map_err(|e| format!("signing in to {host}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("signing in to {host}: {}", response.status()).into());
    }
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("the relay set no session cookie")?
        .to_string();
    Ok((format!("ws://{host_path}"), Some(cookie)))
}
