//! Rep and team state as the store holds it: by rep id and team name, so it
//! outlives policy versions, and its conversion to the runtime's index-based
//! [`State`] for the active policy.

use std::collections::BTreeMap;

use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{RepState, State, TeamState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::{chunks_pow2, placeholders_for, Context, StoreError};

/// A team's rotation by name: the cursor (a member position) and weights by rep id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamRow {
    /// Position of the last rep round robin gave a lead.
    pub cursor: Option<u32>,
    /// Smooth weighted round robin's current weights, by rep id.
    pub weights: BTreeMap<String, i64>,
}

/// Every rep's and team's state, by name.
#[derive(Debug, Clone, Default)]
pub struct Named {
    /// By rep id.
    pub reps: BTreeMap<String, RepState>,
    /// By team name.
    pub teams: BTreeMap<String, TeamRow>,
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn rep_of_row(row: &AnyRow) -> Result<(String, RepState), sqlx::Error> {
    let day: Option<String> = row.try_get("day")?;
    Ok((
        row.try_get("rep_id")?,
        RepState {
            active: row.try_get::<i64, _>("active")? != 0,
            out_of_office_until: row.try_get("out_of_office_until")?,
            open_load: u32_of(row.try_get("open_load")?),
            assigned_today: u32_of(row.try_get("assigned_today")?),
            day: day.and_then(|d| d.parse().ok()),
            max_open: row.try_get::<Option<i64>, _>("max_open")?.map(u32_of),
            max_per_day: row.try_get::<Option<i64>, _>("max_per_day")?.map(u32_of),
        },
    ))
}

fn team_of_row(row: &AnyRow) -> Result<(String, TeamRow), sqlx::Error> {
    let weights: String = row.try_get("weights")?;
    Ok((
        row.try_get("team_id")?,
        TeamRow {
            cursor: row.try_get::<Option<i64>, _>("rr_cursor")?.map(u32_of),
            weights: serde_json::from_str(&weights).unwrap_or_default(),
        },
    ))
}

const REP_COLUMNS: &str = "rep_id, active, out_of_office_until, open_load, assigned_today, day, max_open, max_per_day";

impl Named {
    /// Reads the rows changed after `since` (all rows for `since` = -1).
    pub async fn load_changed(conn: &mut AnyConnection, since: i64) -> Result<Named, StoreError> {
        let reps = sqlx::query(&format!("SELECT {REP_COLUMNS} FROM rep_state WHERE changed_seq > $1"))
            .bind(since)
            .fetch_all(&mut *conn)
            .await
            .ctx("read rep state")?;
        let teams = sqlx::query("SELECT team_id, rr_cursor, weights FROM team_state WHERE changed_seq > $1")
            .bind(since)
            .fetch_all(&mut *conn)
            .await
            .ctx("read team state")?;
        let mut named = Named::default();
        for r in &reps {
            let (id, s) = rep_of_row(r).ctx("decode rep state")?;
            named.reps.insert(id, s);
        }
        for r in &teams {
            let (id, t) = team_of_row(r).ctx("decode team state")?;
            named.teams.insert(id, t);
        }
        Ok(named)
    }

    /// Folds newer rows into this state.
    pub fn merge(&mut self, newer: Named) {
        self.reps.extend(newer.reps);
        self.teams.extend(newer.teams);
    }

    /// The runtime state for `ir`: reps and teams it does not name keep the defaults.
    pub fn to_state(&self, ir: &PolicyIr) -> State {
        let mut state = State::new(ir);
        for (i, rep) in ir.reps.iter().enumerate() {
            if let Some(s) = self.reps.get(&rep.id) {
                state.reps[i] = s.clone();
            }
        }
        for (i, team) in ir.teams.iter().enumerate() {
            if let Some(t) = self.teams.get(&team.name) {
                state.teams[i] = team_state(ir, i, t);
            }
        }
        state
    }

    /// Copies every rep and team of `state` (for `ir`) into the named state.
    pub fn take_all(&mut self, ir: &PolicyIr, state: &State) {
        for i in 0..ir.reps.len() {
            self.take_rep(ir, state, i);
        }
        for i in 0..ir.teams.len() {
            self.take_team(ir, state, i);
        }
    }

    /// Copies rep `i` of `state` (for `ir`) into the named state.
    pub fn take_rep(&mut self, ir: &PolicyIr, state: &State, i: usize) {
        self.reps.insert(ir.reps[i].id.clone(), state.reps[i].clone());
    }

    /// Copies team `i` of `state` (for `ir`) into the named state.
    pub fn take_team(&mut self, ir: &PolicyIr, state: &State, i: usize) {
        self.teams.insert(ir.teams[i].name.clone(), team_row(ir, i, &state.teams[i]));
    }
}

/// The runtime team state for team `i` of `ir` from its named row.
pub fn team_state(ir: &PolicyIr, i: usize, row: &TeamRow) -> TeamState {
    let members = &ir.teams[i].members;
    TeamState {
        cursor: row.cursor.filter(|c| (*c as usize) < members.len()),
        weights: members.iter().map(|m| row.weights.get(&ir.reps[*m as usize].id).copied().unwrap_or(0)).collect(),
    }
}

/// The named row for team `i` of `ir`.
pub fn team_row(ir: &PolicyIr, i: usize, t: &TeamState) -> TeamRow {
    let members = &ir.teams[i].members;
    TeamRow {
        cursor: t.cursor,
        weights: members.iter().zip(&t.weights).map(|(m, w)| (ir.reps[*m as usize].id.clone(), *w)).collect(),
    }
}

/// Writes reps' state in one statement, stamped with `seq`.
pub async fn upsert_reps(conn: &mut AnyConnection, reps: &[(&str, &RepState)], seq: i64) -> Result<(), StoreError> {
    for chunk in chunks_pow2(reps, 64) {
        let sql = format!(
            "INSERT INTO rep_state ({REP_COLUMNS}, changed_seq) VALUES {} \
             ON CONFLICT (rep_id) DO UPDATE SET active = excluded.active, out_of_office_until = excluded.out_of_office_until, \
             open_load = excluded.open_load, assigned_today = excluded.assigned_today, day = excluded.day, \
             max_open = excluded.max_open, max_per_day = excluded.max_per_day, changed_seq = excluded.changed_seq",
            placeholders_for(conn, chunk.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for (id, s) in chunk {
            q = q
                .bind(*id)
                .bind(i64::from(s.active))
                .bind(s.out_of_office_until)
                .bind(i64::from(s.open_load))
                .bind(i64::from(s.assigned_today))
                .bind(s.day.map(|d| d.to_string()))
                .bind(s.max_open.map(i64::from))
                .bind(s.max_per_day.map(i64::from))
                .bind(seq);
        }
        q.execute(&mut *conn).await.ctx("write rep state")?;
    }
    Ok(())
}

/// Writes one rep's state, stamped with `seq`.
pub async fn upsert_rep(conn: &mut AnyConnection, id: &str, s: &RepState, seq: i64) -> Result<(), StoreError> {
    upsert_reps(conn, &[(id, s)], seq).await
}

/// Writes teams' rotation in one statement, stamped with `seq`.
pub async fn upsert_teams(conn: &mut AnyConnection, teams: &[(&str, &TeamRow)], seq: i64) -> Result<(), StoreError> {
    for chunk in chunks_pow2(teams, 64) {
        let sql = format!(
            "INSERT INTO team_state (team_id, rr_cursor, weights, changed_seq) VALUES {} \
             ON CONFLICT (team_id) DO UPDATE SET rr_cursor = excluded.rr_cursor, weights = excluded.weights, changed_seq = excluded.changed_seq",
            placeholders_for(conn, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (name, t) in chunk {
            q = q.bind(*name).bind(t.cursor.map(i64::from)).bind(serde_json::to_string(&t.weights).unwrap_or_else(|_| "{}".into())).bind(seq);
        }
        q.execute(&mut *conn).await.ctx("write team state")?;
    }
    Ok(())
}
