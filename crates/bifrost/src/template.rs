//! Project templates: a new project with a status workflow, departments and example
//! sequences and shots for a film, a series or a game. The sequences and shots go in one bulk
//! transaction.

use bifrost_core::production::{NewShot, ProductionBatch};
use serde::Serialize;

use crate::Repository;
use crate::error::Result;

/// A kind of production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Template {
    /// Feature film: sequences of shots.
    Film,
    /// Episodic series: one sequence per episode and scene.
    Series,
    /// Game: cinematics as sequences, game-art departments.
    Game,
}

impl std::str::FromStr for Template {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "film" => Ok(Template::Film),
            "series" => Ok(Template::Series),
            "game" => Ok(Template::Game),
            _ => Err(format!(
                "`{s}` is not a template: write film, series or game"
            )),
        }
    }
}

struct Spec {
    departments: &'static [&'static str],
    /// Statuses added to the default workflow, each inserted after `after`, with transitions.
    statuses: Vec<(&'static str, Vec<(&'static str, &'static str)>)>,
    sequences: Vec<String>,
    shots_per_sequence: u32,
    frames: i64,
    fps: f64,
}

fn spec(t: Template) -> Spec {
    match t {
        Template::Film => Spec {
            departments: &[
                "art",
                "modeling",
                "rigging",
                "layout",
                "animation",
                "fx",
                "lighting",
                "comp",
            ],
            statuses: vec![(
                "cbb",
                vec![("review", "cbb"), ("cbb", "ip"), ("cbb", "final")],
            )],
            sequences: ["SQ010", "SQ020", "SQ030"].map(String::from).to_vec(),
            shots_per_sequence: 4,
            frames: 96,
            fps: 24.0,
        },
        Template::Series => Spec {
            departments: &[
                "story",
                "modeling",
                "rigging",
                "animation",
                "lighting",
                "comp",
                "edit",
            ],
            statuses: vec![(
                "client-review",
                vec![
                    ("review", "client-review"),
                    ("client-review", "approved"),
                    ("client-review", "ip"),
                ],
            )],
            sequences: ["EP101_SC010", "EP101_SC020", "EP102_SC010", "EP102_SC020"]
                .map(String::from)
                .to_vec(),
            shots_per_sequence: 3,
            frames: 72,
            fps: 25.0,
        },
        Template::Game => Spec {
            departments: &[
                "concept",
                "modeling",
                "texturing",
                "rigging",
                "animation",
                "level-design",
                "vfx",
                "audio",
            ],
            statuses: vec![(
                "in-engine",
                vec![
                    ("approved", "in-engine"),
                    ("in-engine", "final"),
                    ("in-engine", "ip"),
                ],
            )],
            sequences: ["CIN_intro", "CIN_boss", "CIN_ending"]
                .map(String::from)
                .to_vec(),
            shots_per_sequence: 3,
            frames: 150,
            fps: 30.0,
        },
    }
}

/// What a template created.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateReport {
    /// The project.
    pub project: String,
    /// The template.
    pub template: Template,
    /// Workflow statuses, in order.
    pub statuses: Vec<String>,
    /// Departments.
    pub departments: Vec<String>,
    /// Sequences created.
    pub sequences: u64,
    /// Shots created.
    pub shots: u64,
}

impl Repository {
    /// Creates project `name` from `template`.
    pub async fn create_project_from_template(
        &self,
        name: &str,
        template: Template,
    ) -> Result<TemplateReport> {
        self.create_project(name).await?;
        let repo = self.clone().with_project(name).await?;
        let spec = spec(template);
        for d in spec.departments {
            if !repo.departments().await?.iter().any(|x| x == d) {
                repo.add_department(d).await?;
            }
        }
        for (status, transitions) in &spec.statuses {
            repo.add_status(status).await?;
            for (from, to) in transitions {
                repo.add_transition(from, to).await?;
            }
        }
        let mut batch = ProductionBatch::default();
        for seq in &spec.sequences {
            for i in 1..=spec.shots_per_sequence {
                let start = 1001;
                let mut shot = NewShot::new(
                    seq.clone(),
                    format!("SH{:03}", i * 10),
                    start,
                    start + spec.frames - 1,
                );
                shot.fps = Some(spec.fps);
                batch.shots.push(shot);
            }
        }
        repo.require(bifrost_core::access::Permission::Edit)?;
        // A template lays out a new project's skeleton; the project's creation is what is
        // journaled.
        let summary = repo
            .catalog
            .bulk_import(name, &batch, &mut bifrost_catalog::Journal::none())
            .await?;
        let workflow = repo.workflow().await?;
        Ok(TemplateReport {
            project: name.to_owned(),
            template,
            statuses: workflow.statuses,
            departments: repo.departments().await?,
            sequences: summary.sequences,
            shots: summary.shots,
        })
    }
}
