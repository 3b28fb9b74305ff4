//! Resident memory of this process, as Linux reports it in `/proc/self/status`.

/// Peak and current resident set size in kibibytes (`VmHWM`, `VmRSS`), or `None` where
/// `/proc/self/status` is not available.
pub fn resident_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// `peak 123.4 MiB, now 98.7 MiB`, or a note that it could not be read.
pub fn describe() -> String {
    match resident_kib() {
        Some((peak, now)) => format!(
            "peak RSS {:.1} MiB, current RSS {:.1} MiB",
            peak as f64 / 1024.0,
            now as f64 / 1024.0
        ),
        None => "RSS not available (no /proc/self/status)".to_string(),
    }
}
