//! The terminal without panics: `print!` panics when stdout is a closed pipe (`fleetsim catalog |
//! head -1`) or a full disk (`> /dev/full`), and `eprint!` when stderr is.
//!
//! [`say!`]/[`sayln!`] write to stdout and return an error when the write fails, which the command
//! passes on with `?` (exit code 2 with a message: a failed write of results). A closed stdout is
//! not a failure: as Unix tools do, the reader has seen what it wanted, so the rest of the output
//! is dropped quietly and the command ends as it would have. [`note!`] writes to stderr and ignores
//! failures (there is nowhere left to report them). Ctrl-C and SIGTERM go through
//! [`on_interrupt`].

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout has been found closed.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
    }
}

/// Writes `text` to stderr, ignoring failures.
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// `print!` that returns an error instead of panicking; use with `?`.
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::out::stdout(&format!($($arg)*)) };
}

/// `println!` that returns an error instead of panicking; use with `?`.
macro_rules! sayln {
    ($($arg:tt)*) => { $crate::cli::out::stdout(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics.
macro_rules! note {
    ($($arg:tt)*) => { $crate::cli::out::stderr(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {note, say, sayln};

/// Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const INTERRUPTED: i32 = 130;

/// Installs the handler of Ctrl-C, SIGTERM and SIGHUP: output folders not yet complete are
/// deleted (an old folder that `--force` was replacing is left as it was), then the process exits.
/// A sweep's finished runs stay in its folder for `--resume`.
pub fn on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        fleetsim::output::interrupted();
        stderr("interrupted\n");
        std::process::exit(INTERRUPTED);
    });
}
