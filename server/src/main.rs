mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Before any thread exists.
    tune_mimalloc();
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
    // A peer can make Automerge panic on purpose (SECURITY.md); the relay contains that to the
    // peer's connection. Log such a panic in one line, without the backtrace the default hook
    // captures when RUST_BACKTRACE is set: one per hostile message would cost time, and the
    // first one reads the binary's debug information into memory (over 200 MiB in a debug
    // build).
    std::panic::set_hook(Box::new(|info| tracing::error!("{info}")));
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

/// mimalloc's option numbers (`mi_option_t` of mimalloc 3, which libmimalloc-sys builds; the
/// workspace pins libmimalloc-sys to the version these were checked against).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The relay allocates with mimalloc. With glibc's allocator, Automerge's ~280 KiB DEFLATE
/// state (allocated for every `save()`, i.e. every document a fresh device downloads) either
/// landed in the heap on fresh memory each time (the documents loaded in between took the freed
/// space; the heap only grew: ~300 MiB peak in the throughput benchmark) or, with a low mmap
/// threshold, was mapped and faulted in anew each time (70 page faults per document served).
/// mimalloc reuses such blocks. Freed memory goes back to the kernel at once (purge delay 0)
/// and arenas are committed as they are used, so the peak stays what is live. The environment
/// (`MIMALLOC_PURGE_DELAY`, `MIMALLOC_ARENA_EAGER_COMMIT`) still overrides both.
fn tune_mimalloc() {
    // Transparent huge pages: where the kernel gives them to any mapping ("always"), the arena
    // mimalloc maps before main (its options can only be set later) is backed by 2 MiB pages as
    // it is touched: the throughput benchmark's peak was 54 MiB with them, 41 MiB without.
    #[cfg(target_os = "linux")]
    // SAFETY: a process flag; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    for (var, option, value) in [
        ("MIMALLOC_PURGE_DELAY", MI_OPTION_PURGE_DELAY, 0),
        (
            "MIMALLOC_ARENA_EAGER_COMMIT",
            MI_OPTION_ARENA_EAGER_COMMIT,
            0,
        ),
    ] {
        if std::env::var_os(var).is_none() {
            // SAFETY: sets one allocator option; main calls this before starting any thread.
            unsafe { libmimalloc_sys::mi_option_set(option, value) };
        }
    }
}
