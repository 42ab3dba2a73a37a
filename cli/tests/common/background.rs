//! A background `kompliant` process for the CLI tests: its stdout lines arrive on a channel
//! and are kept, and it is killed when dropped (a failed test leaves no server behind).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A running `kompliant` process; killed on drop.
pub struct Background {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    /// Starts the `kompliant` binary with `args` (its stderr goes to the test's).
    pub fn start(args: &[&str]) -> Background {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kompliant"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line not read yet (at most 10 s away).
    pub fn next_line(&mut self) -> String {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no line within 10 s; got {:#?}", self.seen));
        self.seen.push(line.clone());
        line
    }

    /// Waits for a line satisfying `pred` (lines already seen count too).
    pub fn wait_line(&mut self, pred: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            if let Some(line) = self.seen.iter().find(|l| pred(l)) {
                return line.clone();
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no matching line within {timeout:?}; got {:#?}", self.seen),
            }
        }
    }

    /// How many lines so far satisfy `pred`.
    pub fn count(&mut self, pred: impl Fn(&str) -> bool) -> usize {
        self.drain();
        self.seen.iter().filter(|l| pred(l)).count()
    }

    /// Every line so far.
    pub fn all(&mut self) -> String {
        self.drain();
        self.seen.join("\n")
    }

    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
