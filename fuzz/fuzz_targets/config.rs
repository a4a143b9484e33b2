//! `config::Config::from_toml` on arbitrary text: a config or a
//! `ConfigError` naming a place in the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match newswire::config::Config::from_toml(text, "fuzz.toml", Some(std::path::Path::new("/tmp")))
    {
        Ok(config) => {
            // Every loaded schedule must answer "when next".
            for feed in &config.feeds {
                let _ = feed.schedule.upcoming(chrono_now(), feed.timezone, 2);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    // A fixed instant keeps runs reproducible.
    chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}
