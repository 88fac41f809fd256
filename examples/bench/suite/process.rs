//! Running railform as a child process and measuring it: wall time from spawn to exit, and the
//! child's own CPU time (user + system, every thread) as the kernel reports it to `wait4` — so
//! the figures are railform's alone, not the harness's or the emulator's.
//!
//! Peak memory needs care: Linux keeps a process's peak RSS across `exec`, so a child spawned
//! straight from the harness (which holds the emulators' state) reports the harness's size.
//! When GNU time is installed, railform is therefore started through `/usr/bin/time`, whose own
//! child starts small, and its `%M` is railform's true peak; otherwise `wait4`'s figure is used
//! and is only an upper bound.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// How to start railform against one emulator.
#[derive(Debug, Clone)]
pub struct Railform {
    pub binary: PathBuf,
    /// Sent as `RAILFORM_ENDPOINT`.
    pub endpoint: String,
}

/// GNU time, used for an exact peak RSS when present.
const GNU_TIME: &str = "/usr/bin/time";

/// One measured run.
#[derive(Debug, Clone)]
pub struct Measured {
    pub exit_code: i32,
    pub wall: Duration,
    pub cpu: Duration,
    pub peak_rss_kib: u64,
    pub stdout: String,
    pub stderr: String,
}

impl Railform {
    /// Runs `railform ARGS…` in `folder` and waits for it. Fails when it exits other than 0.
    pub fn run(&self, folder: &Path, args: &[&str]) -> anyhow::Result<Measured> {
        let peak_rss_file = tempfile::NamedTempFile::new()?;
        let through_time = Path::new(GNU_TIME).is_file();
        let mut command = if through_time {
            let mut command = Command::new(GNU_TIME);
            command.args(["--format", "%M", "--output"]).arg(peak_rss_file.path()).arg(&self.binary);
            command
        } else {
            Command::new(&self.binary)
        };
        command
            .args(args)
            .current_dir(folder)
            .env("RAILFORM_ENDPOINT", &self.endpoint)
            .env("NO_COLOR", "1")
            .env_remove("RAILWAY_API_TOKEN")
            .env_remove("RAILWAY_TOKEN");
        let mut measured = measure(command).with_context(|| format!("running railform {}", args.join(" ")))?;
        if through_time {
            let reported = std::fs::read_to_string(peak_rss_file.path())?;
            // GNU time writes "Command exited with non-zero status N" before the figure then.
            let last = reported.lines().last().unwrap_or_default().trim();
            measured.peak_rss_kib = last.parse().with_context(|| format!("GNU time reported {reported:?}"))?;
        }
        if measured.exit_code != 0 {
            bail!(
                "railform {} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
                args.join(" "),
                measured.exit_code,
                measured.stdout,
                measured.stderr
            );
        }
        Ok(measured)
    }
}

/// Spawns `command` (its output into temporary files, so no pipe can fill up) and reaps it with
/// `wait4`, which returns the child's resource usage.
pub fn measure(mut command: Command) -> anyhow::Result<Measured> {
    let stdout = tempfile::tempfile()?;
    let stderr = tempfile::tempfile()?;
    command.stdin(Stdio::null()).stdout(stdout.try_clone()?).stderr(stderr.try_clone()?);
    let started = Instant::now();
    let child = command.spawn()?;
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped (std's `Child` never waits on drop), and both
        // out-pointers point to live, writable values.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("waiting for railform");
        }
    }
    let wall = started.elapsed();
    drop(child);
    let exit_code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    let cpu = duration_of(usage.ru_utime) + duration_of(usage.ru_stime);
    Ok(Measured {
        exit_code,
        wall,
        cpu,
        // Linux reports ru_maxrss in KiB.
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        stdout: read_all(stdout)?,
        stderr: read_all(stderr)?,
    })
}

fn duration_of(time: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(time.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(time.tv_usec).unwrap_or(0))
}

fn read_all(mut file: std::fs::File) -> anyhow::Result<String> {
    use std::io::{Read, Seek};
    file.rewind()?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}
