//! `bifrost report`: production reports, as tables or CSV.

use std::fmt::Write;

use anyhow::Result;
use bifrost::api::ops::ReportStatus;
use clap::Subcommand;

use crate::escape::esc;
use crate::output::Out;
use crate::session::Front;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Shots per status, tasks per department and status, assets per type, versions per week.
    Status {
        /// Print CSV (section,key,status,count) instead of tables.
        #[arg(long)]
        csv: bool,
    },
}

pub async fn run(cmd: &ReportCommand, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        ReportCommand::Status { csv } => {
            let r = hub
                .call(ReportStatus {
                    project: hub.project().to_owned(),
                })
                .await?;
            if *csv {
                // Built in memory, printed through `stdio` (a failed write ends the program
                // with a message); CSV fields are quoted, not escaped, so not `println!`.
                let mut w = String::new();
                writeln!(w, "section,key,status,count")?;
                for (s, n) in &r.shots_by_status {
                    writeln!(w, "shots_by_status,,{},{n}", csv_field(s))?;
                }
                for (d, s, n) in &r.tasks_by_department_status {
                    writeln!(
                        w,
                        "tasks_by_department,{},{},{n}",
                        csv_field(d),
                        csv_field(s)
                    )?;
                }
                for (t, n) in &r.assets_by_type {
                    writeln!(w, "assets_by_type,{},,{n}", csv_field(t))?;
                }
                for (wk, n) in &r.versions_by_week {
                    writeln!(w, "versions_by_week,{wk},,{n}")?;
                }
                crate::stdio::write_out(w.as_bytes());
            } else {
                out.show(&r, || {
                    println!("shots by status");
                    r.shots_by_status
                        .iter()
                        .for_each(|(s, n)| println!("  {:<14} {n:>8}", esc(s)));
                    println!("tasks by department and status");
                    r.tasks_by_department_status
                        .iter()
                        .for_each(|(d, s, n)| println!("  {:<14} {:<14} {n:>8}", esc(d), esc(s)));
                    println!("assets by type");
                    r.assets_by_type
                        .iter()
                        .for_each(|(t, n)| println!("  {:<14} {n:>8}", esc(t)));
                    println!("versions by week");
                    r.versions_by_week
                        .iter()
                        .for_each(|(w, n)| println!("  {w:<14} {n:>8}"));
                });
            }
        }
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
