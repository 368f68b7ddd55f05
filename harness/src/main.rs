// The checker clones and drops a state per transition, so allocation is a large share of its
// time; mimalloc serves that pattern faster than glibc's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Output piped into `head` or `less` that closes early should end the program quietly, as
    // it does any Unix tool; Rust ignores SIGPIPE, and `println!` then panics on the closed pipe.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    highwater::cli::main()
}
