//! Checks that a screenshot is not blank: `cargo run --example png_check -- shot.png`.
//!
//! Prints the share of pixels that are not the background (the most common colour) and the
//! number of distinct colours; exits 1 if under 1% of the page is drawn or it has fewer than 16
//! colours (a blank or error page), 2 if the file is not a PNG.

use std::collections::HashMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: png_check FILE.png");
        return ExitCode::from(2);
    };
    let img = match image::open(&path) {
        Ok(i) => i.to_rgb8(),
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut counts: HashMap<[u8; 3], u64> = HashMap::new();
    for p in img.pixels() {
        *counts.entry(p.0).or_default() += 1;
    }
    let total = u64::from(img.width()) * u64::from(img.height());
    let background = counts.values().copied().max().unwrap_or(0);
    let drawn = 1.0 - background as f64 / total.max(1) as f64;
    println!(
        "{path}: {}×{} pixels, {:.1}% drawn over the background, {} colours",
        img.width(),
        img.height(),
        drawn * 100.0,
        counts.len()
    );
    if drawn < 0.01 || counts.len() < 16 {
        eprintln!("{path}: the page looks blank");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
