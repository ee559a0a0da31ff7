//! CPU time as Linux accounts it (`/proc`), so a profile can say where the cores went
//! even when the machine is shared and wall-clock time is not the whole story. Every
//! function answers `None` where `/proc` is not available.

use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on every Linux port in use).
const TICKS: f64 = 100.0;

/// utime + stime from the text of a `stat` file.
fn cpu_of_stat(stat: &str) -> Option<Duration> {
    // The command name may hold spaces and parentheses: fields are counted after the
    // last ')'. The first is the state (field 3); utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) / TICKS))
}

/// CPU time of the whole process so far.
pub fn process() -> Option<Duration> {
    cpu_of_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// CPU time of the calling thread so far.
pub fn this_thread() -> Option<Duration> {
    cpu_of_stat(&std::fs::read_to_string("/proc/thread-self/stat").ok()?)
}

/// CPU time so far of the live threads whose name starts with `prefix` (Linux keeps
/// the first 15 bytes of a thread's name).
pub fn threads_named(prefix: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = entry.path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end().starts_with(prefix) {
            if let Some(t) = std::fs::read_to_string(path.join("stat"))
                .ok()
                .as_deref()
                .and_then(cpu_of_stat)
            {
                total += t;
            }
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_utime_and_stime() {
        let stat =
            "42 (tokio (rt) worker) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 0 0 0";
        assert_eq!(
            super::cpu_of_stat(stat),
            Some(std::time::Duration::from_secs(3))
        );
    }
}
