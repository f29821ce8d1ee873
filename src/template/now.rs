//! The clock templates read `now` from: a time zone and the current moment in words.

/// The clock and time zone templates read `now` from.
#[derive(Debug, Clone)]
pub struct Now {
    zone: jiff::tz::TimeZone,
    name: String,
}

impl Now {
    /// `AGENT_TIMEZONE` value, an IANA name like "Europe/Berlin" or "UTC". Err(String) names
    /// the problem (unknown zone). The zone database is bundled into the binary, so this
    /// works in a container without `/usr/share/zoneinfo`.
    pub fn in_zone(name: &str) -> Result<Now, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(
                "the time zone is empty: give an IANA name like Europe/Berlin or UTC".into(),
            );
        }
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| {
            format!("unknown time zone {name:?}: give an IANA name like Europe/Berlin or UTC")
        })?;
        let name = zone.iana_name().unwrap_or(name).to_string();
        Ok(Now { zone, name })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Now {
        Now {
            zone: jiff::tz::TimeZone::UTC,
            name: "UTC".into(),
        }
    }

    /// The zone's IANA name, e.g. "Europe/Berlin".
    pub fn zone_name(&self) -> &str {
        &self.name
    }

    /// The current moment as words a model reads well, e.g.
    /// "Tuesday, 1 December 2026, 11:08 (Europe/Berlin, UTC+01:00)": weekday, day month
    /// year, 24-hour time, zone name and offset.
    pub fn words(&self) -> String {
        self.words_for(jiff::Timestamp::now())
    }

    /// Same as [`Now::words`] for a given instant (unix seconds), for tests and benches.
    /// An instant outside the years -9999..=9999 reads as the unix epoch.
    pub fn words_at(&self, unix_seconds: i64) -> String {
        let instant =
            jiff::Timestamp::from_second(unix_seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        self.words_for(instant)
    }

    fn words_for(&self, instant: jiff::Timestamp) -> String {
        let local = instant.to_zoned_datetime(self.zone.clone());
        format!(
            "{} ({}, UTC{})",
            local.strftime("%A, %-d %B %Y, %H:%M"),
            self.name,
            local.strftime("%:z"),
        )
    }
}
