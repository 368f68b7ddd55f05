// The checker clones and drops a state per transition; glibc's allocator took a third of its
// time. mimalloc halves that (README, "Measured").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    highwater::cli::main()
}
