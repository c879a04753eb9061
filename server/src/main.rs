use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand};
use server::{Config, Relay};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "outpost", version, about = "Outpost relay: serves the app and merges every device's work")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app and the sync endpoint.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "OUTPOST_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Where documents and accounts are kept.
        #[arg(long, env = "OUTPOST_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// The built app to serve.
        #[arg(long, env = "OUTPOST_STATIC_DIR", default_value = "dist")]
        static_dir: PathBuf,
        /// Largest WebSocket message accepted, in bytes.
        #[arg(long, env = "OUTPOST_MAX_FRAME_BYTES", default_value_t = 64 * 1024 * 1024)]
        max_frame_bytes: usize,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,samod=warn")),
        )
        .init();
    let Command::Serve {
        listen,
        data_dir,
        static_dir,
        max_frame_bytes,
    } = Cli::parse().command;
    if !static_dir.join("index.html").exists() {
        eprintln!(
            "warning: {} has no index.html; build the app first (scripts/build-app)",
            static_dir.display()
        );
    }
    let config = Config {
        listen,
        data_dir,
        static_dir,
        max_frame_bytes,
    };
    let (relay, first) = match Relay::open(config.clone()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    let url = format!("http://{}", listener.local_addr().map_or(listen, |a| a));
    if let Some(first) = first {
        println!("First account created. Sign in at {url} with");
        println!("  username: {}", first.username);
        println!("  password: {}", first.password);
        println!("(shown once; it is stored hashed in {})", config.data_dir.display());
    }
    println!("Outpost relay listening on {url} (data in {})", config.data_dir.display());
    if let Err(e) = relay.serve(listener, shutdown_signal()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Ctrl-C or SIGTERM: stop taking connections, flush storage, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
