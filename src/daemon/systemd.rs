//! The systemd notification protocol (`Type=notify`), by hand.
//!
//! When systemd starts newswire with `NOTIFY_SOCKET` set, newswire sends
//! `READY=1` once the store is open and the schedule loaded, `STOPPING=1` on
//! shutdown, `RELOADING=1`/`READY=1` around a config reload, a `STATUS=` line
//! systemd shows in `systemctl status`, and, when the unit sets
//! `WatchdogSec=`, `WATCHDOG=1` from the scheduler loop at half the interval,
//! so a wedged loop gets the service restarted. Without `NOTIFY_SOCKET` every
//! call is a no-op.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// A connection to systemd's notification socket, if there is one.
pub struct Notifier {
    socket: Option<(UnixDatagram, std::os::unix::net::SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC`/`WATCHDOG_PID` from the environment.
    pub fn from_env() -> Notifier {
        let socket = std::env::var_os("NOTIFY_SOCKET").and_then(|path| {
            let path = path.to_string_lossy().into_owned();
            let addr = if let Some(name) = path.strip_prefix('@') {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).ok()?
            } else {
                std::os::unix::net::SocketAddr::from_pathname(&path).ok()?
            };
            let socket = UnixDatagram::unbound().ok()?;
            Some((socket, addr))
        });
        let for_us = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .is_none_or(|pid| pid == std::process::id());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|u| u.parse::<u64>().ok())
            .filter(|u| *u > 0 && for_us)
            .map(|u| Duration::from_micros(u) / 2);
        Notifier { socket, watchdog }
    }

    /// How often to send `WATCHDOG=1`, when systemd asked for it.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog.filter(|_| self.socket.is_some())
    }

    /// Sends one notification (`READY=1`, `STATUS=…`, …); failures are logged, not fatal.
    pub fn notify(&self, state: &str) {
        if let Some((socket, addr)) = &self.socket
            && let Err(e) = socket.send_to_addr(state.as_bytes(), addr)
        {
            tracing::debug!(error = %e, "systemd notification failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_the_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify.sock");
        let listener = UnixDatagram::bind(&path).expect("bind");
        let notifier = Notifier {
            socket: Some((
                UnixDatagram::unbound().expect("socket"),
                std::os::unix::net::SocketAddr::from_pathname(&path).expect("addr"),
            )),
            watchdog: Some(Duration::from_secs(5)),
        };
        notifier.notify("READY=1\nSTATUS=polling 3 feeds");
        let mut buf = [0u8; 128];
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=polling 3 feeds");
        assert_eq!(notifier.watchdog_interval(), Some(Duration::from_secs(5)));
        let silent = Notifier {
            socket: None,
            watchdog: Some(Duration::from_secs(5)),
        };
        silent.notify("READY=1");
        assert_eq!(silent.watchdog_interval(), None);
    }
}
