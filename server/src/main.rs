mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    // Before any thread exists (mallopt's first call is not thread-safe).
    tune_malloc();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(serve());
}

async fn serve() {
    tracing_subscriber::fmt()
        .with_env_filter(
            // Automerge instruments its load and encode functions with info-level spans:
            // recording them doubled the relay's cost of loading a document.
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,automerge=warn")),
        )
        .init();
    if let Err(e) = cli::run(cli::Cli::parse()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// glibc serves allocations below its mmap threshold from the thread's heap, and raises that
/// threshold (from 128 KiB, up to 32 MiB) each time a larger mapped block is freed. Automerge
/// allocates a ~280 KiB DEFLATE state for every `save()` (every document a fresh device
/// downloads) and frees it at once; in the heap, the documents loaded in between take the freed
/// space, so every state landed on fresh memory and the heap only grew: ~280 KiB resident per
/// document served, and a 19 MiB argon2 sign-in buffer stayed resident too. A fixed 128 KiB
/// threshold maps such buffers on their own and returns them when freed: the throughput
/// benchmark's peak went from ~300 MiB to ~36 MiB. `MALLOC_MMAP_THRESHOLD_` still overrides it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // SAFETY: mallopt only changes an allocator parameter; main calls this before starting
        // any thread.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
