//! `outpost-bench-photos`: issue 17's figure, photos uploaded and synced to a fresh device
//! through Outpost's relay (release binary, started like the other benchmarks'), median of
//! `--runs` runs on a fresh relay each.

use std::time::Duration;

use bench::photos::photos;
use bench::report::{fmt_ms, ms};
use bench::servers::Server;
use clap::Parser;

#[derive(Parser)]
#[command(name = "outpost-bench-photos")]
struct Cli {
    #[arg(long, default_value_t = 100)]
    photos: usize,
    #[arg(long, default_value_t = 300_000)]
    bytes: usize,
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

#[tokio::main]
async fn main() -> bench::Result<()> {
    let cli = Cli::parse();
    let mut runs = vec![];
    for _ in 0..cli.runs {
        let server = Server::outpost(&[]).await?;
        runs.push(
            photos(
                server.url(),
                cli.photos,
                cli.bytes,
                Duration::from_secs(300),
            )
            .await?,
        );
    }
    let median = |f: fn(&bench::photos::Photos) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "{} photos of {} KB: records up {}, photos up {}, fresh device (records + photos) {} (median of {})",
        cli.photos,
        cli.bytes / 1000,
        fmt_ms(ms(median(|r| r.records_up))),
        fmt_ms(ms(median(|r| r.upload))),
        fmt_ms(ms(median(|r| r.fresh_device))),
        runs.len()
    );
    Ok(())
}
