//! The `bifrost` binary: everything is in the library (`bifrost_cli`), so tests can walk its
//! grammar.

fn main() -> std::process::ExitCode {
    bifrost_cli::main()
}
