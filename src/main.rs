//! The `newswire` binary: parse arguments, run, map errors to exit codes.

/// jemalloc, not glibc's malloc: glibc keeps what a thread frees for that
/// thread's arena, and a cold poll of 100,000 feeds held 156 MB from the
/// system with 97 MB in use (peak RSS 175 MB); jemalloc returns unused
/// pages after a few seconds (peak 156 MB, the same speed; BENCHMARKS.md,
/// "Pending keys in memory, reads off the writer, jemalloc").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    newswire::cli::main()
}
