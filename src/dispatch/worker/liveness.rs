//! Which workers are alive. Every worker beats (a counter in its row) every couple of seconds; the
//! others watch the counters move on their own monotonic clocks, so neither clock skew between
//! machines nor a test's moved clock can make a live worker look dead. A worker whose counter has
//! not moved for `dead_after` is dead. So is one on this machine whose process is gone: that is
//! seen at once, which is how a restarted `lookout serve` takes back its crashed predecessor's
//! deliveries without waiting.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::store::{Burial, WorkerIdentity, WorkerRow};

/// This process, as other processes on the same machine can check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalProcess {
    /// Boot id and PID namespace; unknown (never equal to another's) off Linux.
    pub machine: String,
    pub pid: u32,
    pub started: String,
}

impl LocalProcess {
    pub fn current() -> LocalProcess {
        let pid = std::process::id();
        LocalProcess {
            machine: machine().unwrap_or_else(|| format!("unknown-{}", uuid::Uuid::new_v4())),
            pid,
            started: proc_stat(pid).map(|s| s.started).unwrap_or_default(),
        }
    }

    pub fn identity(&self, id: String) -> WorkerIdentity {
        WorkerIdentity {
            id,
            machine: self.machine.clone(),
            pid: self.pid,
            proc_started: self.started.clone(),
        }
    }

    /// Is `w` a process on this machine that has ended (or whose pid now belongs to another)?
    /// False whenever that cannot be known: a worker elsewhere is judged by its beats alone.
    pub fn outlived(&self, w: &WorkerIdentity) -> bool {
        if w.machine != self.machine || w.machine.starts_with("unknown-") {
            return false;
        }
        match proc_stat(w.pid) {
            None => true,
            Some(s) => s.zombie || s.started != w.proc_started,
        }
    }
}

/// `/proc/sys/kernel/random/boot_id` and the PID namespace: a pid names the same process only
/// within both.
fn machine() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{}/{}", boot.trim(), ns.display()))
}

struct ProcStat {
    zombie: bool,
    started: String,
}

fn proc_stat(pid: u32) -> Option<ProcStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// `pid (comm) state … starttime …`: the state is the first field after the command name (which
/// may hold spaces and parentheses), the start time the twentieth.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = *fields.first()?;
    Some(ProcStat {
        zombie: state == "Z" || state == "X",
        started: (*fields.get(19)?).to_string(),
    })
}

/// What one worker knows of the others: each counter and when it last saw it move.
#[derive(Debug, Default)]
pub struct Watch {
    seen: HashMap<String, (i64, Instant)>,
}

impl Watch {
    /// The workers among `rows` that are dead, as of `at` (monotonic) and `wall` (the system
    /// clock). `me` is never among them. A worker seen for the first time is judged by the age of
    /// its last beat on the wall clock, so a process starting up buries long-dead predecessors at
    /// once; after that, only by its counter standing still.
    pub fn dead(
        &mut self,
        rows: &[WorkerRow],
        me: &str,
        local: &LocalProcess,
        at: Instant,
        wall: DateTime<Utc>,
        dead_after: Duration,
    ) -> Vec<Burial> {
        let mut dead = Vec::new();
        let mut next = HashMap::with_capacity(rows.len());
        for row in rows.iter().filter(|r| r.identity.id != me) {
            let since = match self.seen.get(&row.identity.id) {
                Some(&(beat, since)) if beat == row.beat => since,
                Some(_) => at,
                None => {
                    let age = (wall - row.beat_at).to_std().unwrap_or_default();
                    at.checked_sub(age).unwrap_or(at)
                }
            };
            next.insert(row.identity.id.clone(), (row.beat, since));
            if at.duration_since(since) >= dead_after || local.outlived(&row.identity) {
                dead.push(Burial {
                    id: row.identity.id.clone(),
                    beat: row.beat,
                });
            }
        }
        self.seen = next;
        dead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, beat: i64, beat_at: DateTime<Utc>, local: &LocalProcess) -> WorkerRow {
        WorkerRow {
            identity: WorkerIdentity {
                id: id.into(),
                machine: "elsewhere".into(),
                ..local.identity(id.into())
            },
            beat,
            beat_at,
        }
    }

    #[test]
    fn a_worker_is_dead_once_its_beat_stands_still_for_dead_after() {
        let local = LocalProcess::current();
        let wall = Utc::now();
        let t0 = Instant::now();
        let after = Duration::from_secs(10);
        let mut watch = Watch::default();
        let b = |beat| vec![row("b", beat, wall, &local)];
        assert!(watch.dead(&b(1), "a", &local, t0, wall, after).is_empty());
        // moving keeps it alive, however long it has been since the first look
        let t = t0 + Duration::from_secs(9);
        assert!(watch.dead(&b(2), "a", &local, t, wall, after).is_empty());
        let t = t0 + Duration::from_secs(18);
        assert!(watch.dead(&b(2), "a", &local, t, wall, after).is_empty());
        let t = t0 + Duration::from_secs(19);
        assert_eq!(
            watch.dead(&b(2), "a", &local, t, wall, after),
            vec![Burial {
                id: "b".into(),
                beat: 2
            }]
        );
    }

    #[test]
    fn the_wall_clock_judges_only_at_first_sight_and_never_judges_me() {
        let local = LocalProcess::current();
        let wall = Utc::now();
        let t0 = Instant::now() + Duration::from_secs(3600);
        let after = Duration::from_secs(10);
        let old = wall - chrono::Duration::seconds(60);
        let mut watch = Watch::default();
        let rows = vec![row("a", 5, old, &local), row("b", 5, old, &local)];
        let dead = watch.dead(&rows, "a", &local, t0, wall, after);
        assert_eq!(
            dead.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        // once seen, a worker that keeps beating is alive whatever the wall clock says
        let mut watch = Watch::default();
        let rows = vec![row("c", 1, wall, &local)];
        assert!(watch.dead(&rows, "a", &local, t0, wall, after).is_empty());
        let ahead = wall + chrono::Duration::hours(1);
        let rows = vec![row("c", 2, wall, &local)];
        let t = t0 + Duration::from_secs(1);
        assert!(watch.dead(&rows, "a", &local, t, ahead, after).is_empty());
    }

    #[test]
    fn a_process_on_this_machine_that_ended_is_dead_at_once() {
        let me = LocalProcess::current();
        if me.machine.starts_with("unknown-") {
            return; // not Linux: nothing to check
        }
        assert!(!me.outlived(&me.identity("me".into())), "I am alive");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let gone = WorkerIdentity {
            pid,
            ..me.identity("gone".into())
        };
        assert!(me.outlived(&gone));
        // a pid taken over by another process is not the worker that registered it
        let reused = WorkerIdentity {
            proc_started: "1".into(),
            ..me.identity("reused".into())
        };
        assert!(me.outlived(&reused));
        // elsewhere: unknowable here, left to the beats
        let far = WorkerIdentity {
            machine: "another-boot/pid:[1]".into(),
            pid,
            ..me.identity("far".into())
        };
        assert!(!me.outlived(&far));
    }

    #[test]
    fn stat_lines_are_read_past_odd_command_names() {
        let line = "42 (a (b) c) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21";
        let s = parse_stat(line).unwrap();
        assert!(s.zombie);
        assert_eq!(s.started, "987654");
        assert!(parse_stat("garbage").is_none());
    }
}
