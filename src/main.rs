//! The `fleetsim` binary: parse the command line, dispatch, print, exit.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::main(cli::Cli::parse())
}
