fn main() -> std::process::ExitCode {
    highwater::cli::main()
}
