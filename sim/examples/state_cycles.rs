//! Measures what a `--state` file costs the simulator's API: 3,000 endpoint config
//! create + delete cycles through the SDK's API client, timing the first and the last 100
//! (a file that grew with every deleted config made each change slower), and counting the
//! state file's writes against the changes made. A measurement, not a check (the behaviour is
//! tested in `sim/tests/state.rs`); the figures are in `docs/decided.md`.
//!
//! ```sh
//! cargo run --release -p kompliant-sim --example state_cycles [CYCLES]
//! ```

use std::time::{Duration, Instant};

use kompliant_sim::{Account, SimConfig, Simulator};
use kompliant_webhooks::{ClientOptions, Credentials, KompliantClient};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cycles: u32 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 3_000,
    };
    let window = 100.min(cycles / 2).max(1);
    let dir = std::env::temp_dir().join(format!("kompliant-state-cycles-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("state.json");
    let account = Account::generate_sandbox();
    let sim = Simulator::start(SimConfig {
        accounts: vec![account.clone()],
        state_file: Some(path.clone()),
        ..SimConfig::default()
    })?;
    let client = KompliantClient::new(
        Credentials::new(
            account.api_key.clone(),
            account.secret_key.clone(),
            account.auth_token.clone(),
        )?,
        ClientOptions {
            base_url: sim.base_url(),
            ..ClientOptions::default()
        },
    )?;
    let (mut first, mut last) = (Duration::ZERO, Duration::ZERO);
    let all = Instant::now();
    for n in 0..cycles {
        let t = Instant::now();
        let id = client
            .create_webhook_config(&account.account_id, &format!("https://e{n}.example.com/"))?;
        client.delete_webhook_config(&account.account_id, &id)?;
        if n < window {
            first += t.elapsed();
        } else if n >= cycles - window {
            last += t.elapsed();
        }
    }
    let mean = all.elapsed().as_secs_f64() * 1000.0 / f64::from(cycles);
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / f64::from(window);
    println!(
        "create+delete: first {window}: {:.2} ms, last {window}: {:.2} ms, mean over {cycles}: {mean:.2} ms; {} state file writes for {} changes; file {} bytes",
        per(first),
        per(last),
        sim.state_file_writes(),
        2 * u64::from(cycles),
        std::fs::metadata(&path)?.len()
    );
    drop(sim);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
