//! The `newswire` binary: parse arguments, run, map errors to exit codes.

fn main() -> std::process::ExitCode {
    newswire::cli::main()
}
