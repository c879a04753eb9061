//! The relay's command line: `serve`, and administration straight on the data directory.

use shared::attachments::BlobLimits;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use server::{
    Config, Relay,
    limits::Limits,
    store::{Database, NewPerson, Store},
};
use shared::{access::Role, protocol::limits};

#[derive(Parser)]
#[command(
    name = "outpost",
    version,
    about = "Outpost relay: serves the app and merges every device's work"
)]
pub struct Cli {
    /// Where documents and the database are kept.
    #[arg(long, global = true, env = "OUTPOST_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Where people, sessions, receipts and documents are kept: the path of an SQLite file
    /// (default: outpost.sqlite in the data directory) or a postgres:// URL, which any number
    /// of relays may share.
    #[arg(long, global = true, env = "OUTPOST_DATABASE", hide_env_values = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app and the sync endpoint.
    Serve(ServeArgs),
    /// People: add, list, disable, enable, reset-password, grant, revoke, join, leave.
    #[command(subcommand)]
    User(UserCommand),
    /// Sites: add, list.
    #[command(subcommand)]
    Site(GroupCommand),
    /// Teams: add, list.
    #[command(subcommand)]
    Team(GroupCommand),
    /// Copy everything the relay keeps (its --database, by default the data directory's SQLite
    /// file) into an empty PostgreSQL database; then start the relays with --database URL.
    MigrateTo {
        /// postgres://user:password@host:port/database (empty, or only just created)
        url: String,
    },
    /// Write a consistent copy of the SQLite database while the relay runs (on PostgreSQL:
    /// use pg_dump).
    Backup {
        /// The folder to create (must not exist).
        dest: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "OUTPOST_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The built app to serve.
    #[arg(long, env = "OUTPOST_STATIC_DIR", default_value = "dist")]
    static_dir: PathBuf,
    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, env = "OUTPOST_MAX_FRAME_BYTES", default_value_t = limits::DEFAULT_FRAME_BYTES)]
    max_frame_bytes: usize,
    /// Bytes the change chunks of one sync message may inflate to.
    #[arg(long, env = "OUTPOST_MAX_INFLATED_BYTES", default_value_t = limits::Limits::DEFAULT.inflated_bytes)]
    max_inflated_bytes: usize,
    /// Operations in one change.
    #[arg(long, env = "OUTPOST_MAX_CHANGE_OPS", default_value_t = limits::Limits::DEFAULT.change_ops)]
    max_change_ops: u64,
    /// Operations in one sync message (a whole document, or all its changes).
    #[arg(long, env = "OUTPOST_MAX_MESSAGE_OPS", default_value_t = limits::Limits::DEFAULT.message_ops)]
    max_message_ops: u64,
    /// Documents one sync connection may have open.
    #[arg(long, env = "OUTPOST_MAX_OPEN_DOCUMENTS", default_value_t = Limits::default().open_documents)]
    max_open_documents: usize,
    /// Bytes of documents kept in memory between messages (estimated), all connections together.
    #[arg(long, env = "OUTPOST_MAX_RESIDENT_BYTES", default_value_t = Limits::default().resident_bytes)]
    max_resident_bytes: usize,
    /// Frames one connection may have waiting for the sync thread.
    #[arg(long, env = "OUTPOST_MAX_INFLIGHT_FRAMES", default_value_t = Limits::default().inflight_frames)]
    max_inflight_frames: usize,
    /// Bytes of the frames one connection has waiting for the sync thread.
    #[arg(long, env = "OUTPOST_MAX_INFLIGHT_BYTES", default_value_t = Limits::default().inflight_bytes)]
    max_inflight_bytes: usize,
    /// Bytes queued for a connection that it has not read; past this it is closed.
    #[arg(long, env = "OUTPOST_MAX_OUTBOUND_BYTES", default_value_t = Limits::default().outbound_bytes)]
    max_outbound_bytes: usize,
    /// Password verifications at once (each takes 19 MiB); others wait 2 s, then get 503.
    #[arg(long, env = "OUTPOST_MAX_CONCURRENT_SIGN_INS", default_value_t = Limits::default().sign_ins)]
    max_concurrent_sign_ins: usize,
    /// Seconds a client has to send a request's headers (and between parts of its body).
    #[arg(long, env = "OUTPOST_HEADER_TIMEOUT_SECS", default_value_t = Limits::default().header_timeout.as_secs())]
    header_timeout_secs: u64,
    /// Seconds a sync connection may stay silent (pings unanswered) or unread before it is closed.
    #[arg(long, env = "OUTPOST_IDLE_TIMEOUT_SECS", default_value_t = Limits::default().idle_timeout.as_secs())]
    idle_timeout_secs: u64,
    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "OUTPOST_SESSION_HOURS", default_value_t = 720)]
    session_hours: i64,
    /// Mark the session cookie Secure (set this when serving over HTTPS).
    #[arg(long, env = "OUTPOST_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Sync connections one person may hold at once.
    #[arg(long, env = "OUTPOST_MAX_CONNECTIONS_PER_PERSON", default_value_t = 8)]
    max_connections_per_person: usize,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names
    /// the client that sign-in throttling counts; without it the header is ignored.
    #[arg(long = "trusted-proxy", env = "OUTPOST_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Roles (comma-separated) whose holders are CAB members and record approval decisions on
    /// changes, besides change managers (who always are); e.g. `agent`.
    #[arg(long = "cab-role", env = "OUTPOST_CAB_ROLES", value_delimiter = ',', value_parser = parse_role)]
    cab_roles: Vec<Role>,
    /// Origins (scheme://host[:port], comma-separated) whose pages may open the sync
    /// connection; default: the relay's own origin, as the request's Host names it.
    #[arg(
        long = "allowed-origin",
        env = "OUTPOST_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Also serve /metrics here, to anyone (bind a private address); on --listen it answers
    /// administrators only.
    #[arg(long, env = "OUTPOST_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// The largest attachment (file) the relay accepts, in bytes.
    #[arg(long, env = "OUTPOST_BLOB_MAX_BYTES", default_value_t = BlobLimits::default().max_bytes)]
    blob_max_bytes: u64,
    /// How many bytes of attachments one person may upload in all, in bytes.
    #[arg(long, env = "OUTPOST_BLOB_QUOTA_BYTES", default_value_t = BlobLimits::default().quota_bytes)]
    blob_quota_bytes: u64,
    /// How many uploads one person may run at once (each holds up to 1 MiB in memory).
    #[arg(long, env = "OUTPOST_BLOB_UPLOADS_AT_ONCE", default_value_t = BlobLimits::default().uploads_at_once)]
    blob_uploads_at_once: usize,
    /// On PostgreSQL, seconds between re-reads of which chunks other relays stored, which
    /// catch changes whose notification this relay missed.
    #[arg(long, env = "OUTPOST_REREAD_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    reread_secs: u64,
}

#[derive(Subcommand)]
enum UserCommand {
    Add {
        username: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Roles: technician, agent, change_manager, auditor, administrator, security.
        #[arg(long = "role", value_parser = parse_role)]
        roles: Vec<Role>,
        #[arg(long = "site")]
        sites: Vec<String>,
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Read from OUTPOST_PASSWORD, or generated and printed when absent.
        #[arg(long, env = "OUTPOST_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    List,
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    ResetPassword {
        username: String,
        #[arg(long, env = "OUTPOST_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    Grant {
        username: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    Revoke {
        username: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Add a person to a site (--site) or team (--team).
    Join {
        username: String,
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        team: Option<String>,
    },
    /// Remove a person from a site (--site) or team (--team).
    Leave {
        username: String,
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Subcommand)]
enum GroupCommand {
    Add {
        id: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    List,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role '{s}'; roles are {}", names.join(", "))
    })
}

/// `10.0.0.1` (one address) or `10.0.0.0/8`.
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{s}' is neither an address nor an address range (CIDR)"))
}

fn generated_password() -> String {
    use rand::{Rng, distributions::Alphanumeric};
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

pub async fn run(cli: Cli) -> Result<(), String> {
    let data_dir = cli.data_dir;
    let database = Database::from_arg(cli.database.as_deref(), &data_dir);
    let open_store = || -> Result<Store, String> {
        if let Database::Sqlite(_) = database {
            std::fs::create_dir_all(&data_dir)
                .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
        }
        Store::connect(&database).map_err(|e| e.to_string())
    };
    let e = |e: server::store::StoreError| e.to_string();
    match cli.command {
        Command::Serve(args) => serve(data_dir.clone(), database, args).await,
        Command::User(cmd) => {
            let store = open_store()?;
            match cmd {
                UserCommand::Add {
                    username,
                    name,
                    roles,
                    sites,
                    teams,
                    password,
                } => {
                    let shown = password.is_none();
                    let password = password.unwrap_or_else(generated_password);
                    store
                        .add_person(&NewPerson {
                            username: username.clone(),
                            display_name: name,
                            password: password.clone(),
                            roles,
                            sites,
                            teams,
                        })
                        .map_err(e)?;
                    println!("added {username}");
                    if shown {
                        println!("password: {password}");
                    }
                }
                UserCommand::List => {
                    for p in store.people().map_err(e)? {
                        let roles: Vec<_> = p.access.roles.iter().map(|r| r.as_str()).collect();
                        println!(
                            "{}\t{}\troles={}\tsites={}\tteams={}{}",
                            p.username,
                            p.display_name,
                            roles.join(","),
                            p.access.sites.iter().cloned().collect::<Vec<_>>().join(","),
                            p.access.teams.iter().cloned().collect::<Vec<_>>().join(","),
                            if p.disabled { "\tDISABLED" } else { "" }
                        );
                    }
                }
                UserCommand::Disable { username } => {
                    store.set_disabled(&username, true).map_err(e)?;
                    println!(
                        "disabled {username}; their sessions have ended (a running relay closes their connections)"
                    );
                }
                UserCommand::Enable { username } => {
                    store.set_disabled(&username, false).map_err(e)?;
                    println!("enabled {username}");
                }
                UserCommand::ResetPassword { username, password } => {
                    let shown = password.is_none();
                    let password = password.unwrap_or_else(generated_password);
                    store.reset_password(&username, &password).map_err(e)?;
                    println!(
                        "password of {username} reset; their sessions have ended (a running relay closes their connections)"
                    );
                    if shown {
                        println!("password: {password}");
                    }
                }
                UserCommand::Grant { username, role } => {
                    store.grant_role(&username, role, true).map_err(e)?;
                    println!("{username} is now {}", role.as_str());
                }
                UserCommand::Revoke { username, role } => {
                    store.grant_role(&username, role, false).map_err(e)?;
                    println!("{username} is no longer {}", role.as_str());
                }
                UserCommand::Join {
                    username,
                    site,
                    team,
                }
                | UserCommand::Leave {
                    username,
                    site,
                    team,
                } if site.is_none() && team.is_none() => {
                    return Err(format!(
                        "say which site (--site) or team (--team) {username} joins or leaves"
                    ));
                }
                UserCommand::Join {
                    username,
                    site,
                    team,
                } => membership(&store, &username, site, team, true)?,
                UserCommand::Leave {
                    username,
                    site,
                    team,
                } => membership(&store, &username, site, team, false)?,
            }
            Ok(())
        }
        Command::Site(cmd) => group(&open_store()?, "site", cmd),
        Command::Team(cmd) => group(&open_store()?, "team", cmd),
        Command::Backup { dest } => backup(&open_store()?, &dest),
        Command::MigrateTo { url } => migrate_to(&open_store()?, &url),
    }
}

/// Adds a person to (or removes them from) the given site and/or team.
fn membership(
    store: &Store,
    username: &str,
    site: Option<String>,
    team: Option<String>,
    join: bool,
) -> Result<(), String> {
    for (what, group) in [("site", site), ("team", team)] {
        if let Some(g) = group {
            store
                .set_member(what, username, &g, join)
                .map_err(|e| e.to_string())?;
            let done = if join { "joined" } else { "left" };
            println!("{username} {done} {what} {g}");
        }
    }
    Ok(())
}

fn group(store: &Store, what: &str, cmd: GroupCommand) -> Result<(), String> {
    match cmd {
        GroupCommand::Add { id, name } => {
            store
                .add_group(what, &id, &name)
                .map_err(|e| e.to_string())?;
            println!("{what} {id} saved");
        }
        GroupCommand::List => {
            for (id, name) in store.groups(what).map_err(|e| e.to_string())? {
                println!("{id}\t{name}");
            }
        }
    }
    Ok(())
}

/// Copies the relay's records into an empty PostgreSQL database (store/copy.rs).
fn migrate_to(store: &Store, url: &str) -> Result<(), String> {
    let target = match Database::from_arg(Some(url), std::path::Path::new("")) {
        Database::Postgres(url) => Database::Postgres(url),
        Database::Sqlite(_) => {
            return Err(format!(
                "'{url}' is not a PostgreSQL URL (postgres://user:password@host:port/database)"
            ));
        }
    };
    let into = Store::connect(&target).map_err(|e| e.to_string())?;
    let copied = store.copy_into(&into).map_err(|e| e.to_string())?;
    println!(
        "copied {} people, {} documents ({} chunks), {} receipts and {} attachments into {}; \
         start the relays with --database set to it",
        copied.people,
        copied.documents,
        copied.chunks,
        copied.receipts,
        copied.blobs,
        target.describe()
    );
    Ok(())
}

/// A consistent copy while the relay runs: accounts, receipts and every document live in the one
/// SQLite database, copied by `VACUUM INTO` inside a read transaction. The copy is a data
/// directory of its own: start a relay with `--data-dir DEST` to restore.
fn backup(store: &Store, dest: &std::path::Path) -> Result<(), String> {
    if store.is_postgres() {
        return Err(server::store::POSTGRES_BACKUP.into());
    }
    if dest.exists() {
        return Err(format!(
            "{} already exists; name a new folder",
            dest.display()
        ));
    }
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    store
        .backup_to(&dest.join("outpost.sqlite"))
        .map_err(|e| e.to_string())?;
    let documents = store.document_count().map_err(|e| e.to_string())?;
    println!(
        "backup written to {} ({documents} documents); restore with --data-dir {}",
        dest.display(),
        dest.display()
    );
    Ok(())
}

async fn serve(data_dir: PathBuf, database: Database, args: ServeArgs) -> Result<(), String> {
    if !args.static_dir.join("index.html").exists() {
        eprintln!(
            "warning: {} has no index.html; build the app first (scripts/build-app)",
            args.static_dir.display()
        );
    }
    let mut config = Config::new(args.listen, data_dir.clone(), args.static_dir);
    config.database = database;
    config.max_frame_bytes = args.max_frame_bytes;
    config.limits = Limits {
        sync: limits::Limits {
            inflated_bytes: args.max_inflated_bytes,
            change_ops: args.max_change_ops,
            message_ops: args.max_message_ops,
        },
        open_documents: args.max_open_documents,
        resident_bytes: args.max_resident_bytes,
        inflight_frames: args.max_inflight_frames,
        inflight_bytes: args.max_inflight_bytes,
        outbound_bytes: args.max_outbound_bytes,
        sign_ins: args.max_concurrent_sign_ins,
        header_timeout: Duration::from_secs(args.header_timeout_secs),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs),
    };
    config.session_lifetime_ms = args.session_hours * 3600 * 1000;
    config.secure_cookies = args.secure_cookies;
    config.max_connections_per_person = args.max_connections_per_person;
    config.trusted_proxies = args.trusted_proxies;
    config.allowed_origins = args.allowed_origins;
    config.metrics_listen = args.metrics_listen;
    config.cab_roles = args.cab_roles.into_iter().collect();
    config.blobs = BlobLimits {
        max_bytes: args.blob_max_bytes,
        quota_bytes: args.blob_quota_bytes,
        uploads_at_once: args.blob_uploads_at_once,
    };
    config.reread_interval = Duration::from_secs(args.reread_secs);
    let (relay, first) = Relay::open(config).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let url = format!(
        "http://{}",
        listener.local_addr().map_or(args.listen, |a| a)
    );
    if let Some(first) = first {
        println!("First account created. Sign in at {url} with");
        println!("  username: {}", first.username);
        println!("  password: {}", first.password);
        println!(
            "(shown once; only its hash is stored in {})",
            relay.database().describe()
        );
    }
    println!(
        "Outpost relay listening on {url} (data in {})",
        relay.database().describe()
    );
    if let Some(addr) = relay.metrics_addr() {
        println!("metrics on http://{addr}/metrics");
    }
    relay
        .serve(listener, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// Ctrl-C or SIGTERM: stop taking connections, flush storage, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
