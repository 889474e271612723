//! Bulk import of a production (assets, shots, versions, links) in one transaction, with
//! multi-row inserts and ids reserved up front, for migrations from other tools and for
//! benchmarks. Compiled once per backend, like `imp.rs`.
//!
//! Everything is checked before the first insert (names, frame ranges, version numbering, pins,
//! duplicates, cycles), so a refused batch leaves the catalog untouched.

use std::collections::{HashMap, HashSet};

use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use bifrost_core::production::{
    DEFAULT_FPS, EntityKind, EntityRef, ImportSummary, Metadata, ProductionBatch,
    ProductionNameKind, validate_production_name,
};
use bifrost_core::{Asset, NameKind, validate_name, validate_tag};

use super::IS_POSTGRES;
use super::imp::{Conn, Pool, Result, begin_journaled, commit_journaled, insert_rows, project_id};
use super::production::{check_link_shape, check_shot_figures, lock_graph};
use super::search::{self, Doc};
use crate::CatalogError;
use crate::sql::{lookup_batches, now, placeholders};
use crate::text::{asset_text, sequence_text, shot_text, version_text};

fn invalid(reason: impl Into<String>) -> CatalogError {
    CatalogError::InvalidBatch {
        reason: reason.into(),
    }
}

/// `n` fresh ids for `table` (a fixed table name, never user input): above the largest id on
/// SQLite (the transaction holds the database write lock), from the identity sequence on
/// PostgreSQL (so concurrent inserts elsewhere never collide with them).
async fn reserve_ids(conn: &mut Conn, table: &str, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).map_err(|_| invalid("the batch is too large"))?;
    if IS_POSTGRES {
        let sql = format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) \
             FROM generate_series(1, $1)"
        );
        Ok(sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .bind(count)
            .fetch_all(&mut *conn)
            .await?)
    } else {
        let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
        let max: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        Ok((max + 1..=max + count).collect())
    }
}

/// An asset already in the project: id, latest version number and id.
#[derive(Debug, Clone, Copy)]
struct Existing {
    id: i64,
    latest: i64,
    latest_id: Option<i64>,
}

/// The assets of `names` that exist in the project.
async fn existing_assets(
    conn: &mut Conn,
    project_id: i64,
    names: &[&str],
) -> Result<HashMap<String, Existing>> {
    let mut found = HashMap::new();
    for batch in lookup_batches(names) {
        let sql = format!(
            "SELECT a.id, a.name, \
             (SELECT MAX(v.number) FROM versions v WHERE v.asset_id = a.id) AS latest, \
             (SELECT v.id FROM versions v WHERE v.asset_id = a.id ORDER BY v.number DESC LIMIT 1) \
             AS latest_id \
             FROM assets a WHERE a.project_id = $1 AND a.name IN ({})",
            placeholders(2, batch.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(project_id);
        for name in &batch {
            q = q.bind(*name);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let latest: Option<i64> = row.try_get("latest")?;
            found.insert(
                row.try_get::<String, _>("name")?,
                Existing {
                    id: row.try_get("id")?,
                    latest: latest.unwrap_or(0),
                    latest_id: row.try_get("latest_id")?,
                },
            );
        }
    }
    Ok(found)
}

type Node = (EntityKind, i64);

/// A cycle in `edges` (as nodes, the first repeated at the end), if any: Kahn's algorithm to
/// find whether one exists, then a walk inside the remaining nodes to extract it.
fn find_cycle(edges: &[(Node, Node)]) -> Option<Vec<Node>> {
    let mut out: HashMap<Node, Vec<Node>> = HashMap::new();
    let mut indegree: HashMap<Node, usize> = HashMap::new();
    for (src, dst) in edges {
        out.entry(*src).or_default().push(*dst);
        *indegree.entry(*dst).or_default() += 1;
        indegree.entry(*src).or_default();
    }
    let mut ready: Vec<Node> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(n, _)| *n)
        .collect();
    while let Some(node) = ready.pop() {
        indegree.remove(&node);
        for next in out.get(&node).into_iter().flatten() {
            if let Some(d) = indegree.get_mut(next) {
                *d -= 1;
                if *d == 0 {
                    ready.push(*next);
                }
            }
        }
    }
    // Every node left is on or behind a cycle and has an edge to another node left.
    let mut node = *indegree.keys().min()?;
    let mut seen: HashMap<Node, usize> = HashMap::new();
    let mut path = Vec::new();
    loop {
        if let Some(&at) = seen.get(&node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node);
            return Some(cycle);
        }
        seen.insert(node, path.len());
        path.push(node);
        node = *out
            .get(&node)?
            .iter()
            .filter(|n| indegree.contains_key(n))
            .min()?;
    }
}

pub(crate) async fn bulk_import(
    pool: &Pool,
    project: &str,
    batch: &ProductionBatch,
    journal: &mut crate::Journal<Vec<Asset>>,
) -> Result<ImportSummary> {
    // -- Checks that need no database.
    let mut batch_assets: HashMap<&str, usize> = HashMap::with_capacity(batch.assets.len());
    for (i, asset) in batch.assets.iter().enumerate() {
        validate_name(NameKind::Asset, &asset.name)?;
        validate_name(NameKind::AssetType, &asset.asset_type)?;
        for tag in &asset.tags {
            validate_tag(tag)?;
        }
        if batch_assets.insert(&asset.name, i).is_some() {
            return Err(invalid(format!("asset `{}` is listed twice", asset.name)));
        }
    }
    let mut batch_shots: HashMap<(&str, &str), usize> = HashMap::with_capacity(batch.shots.len());
    for (i, shot) in batch.shots.iter().enumerate() {
        validate_production_name(ProductionNameKind::Sequence, &shot.sequence)?;
        validate_production_name(ProductionNameKind::Shot, &shot.name)?;
        let reference = format!("{}/{}", shot.sequence, shot.name);
        check_shot_figures(
            &reference,
            shot.frame_start,
            shot.frame_end,
            shot.fps.unwrap_or(DEFAULT_FPS),
        )?;
        if batch_shots
            .insert((&shot.sequence, &shot.name), i)
            .is_some()
        {
            return Err(invalid(format!("shot `{reference}` is listed twice")));
        }
    }
    // Versions per asset, in number order.
    let mut versions_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, version) in batch.versions.iter().enumerate() {
        versions_of.entry(&version.asset).or_default().push(i);
    }
    for list in versions_of.values_mut() {
        list.sort_by_key(|&i| batch.versions[i].number);
    }
    for link in &batch.links {
        check_link_shape(link)?;
    }

    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    lock_graph(&mut tx).await?;
    let project_id = project_id(&mut tx, project).await?;
    let status = super::production::initial_status(&mut tx, project_id).await?;
    let departments: std::collections::BTreeSet<&str> = batch
        .assets
        .iter()
        .filter_map(|a| a.department.as_deref())
        .collect();
    for department in departments {
        super::production::check_department(&mut tx, project_id, project, department).await?;
    }

    // -- Assets: the batch's must be new; those versions and links name may already exist.
    let mut wanted: Vec<&str> = batch.assets.iter().map(|a| a.name.as_str()).collect();
    wanted.extend(
        versions_of
            .keys()
            .filter(|n| !batch_assets.contains_key(*n)),
    );
    for link in &batch.links {
        for entity in [&link.src, &link.dst] {
            if let EntityRef::Asset(name) = entity
                && !batch_assets.contains_key(name.as_str())
            {
                wanted.push(name);
            }
        }
    }
    let wanted = super::imp::distinct(wanted);
    let existing = existing_assets(&mut tx, project_id, &wanted).await?;
    if let Some(asset) = batch.assets.iter().find(|a| existing.contains_key(&a.name)) {
        return Err(CatalogError::AssetExists {
            project: project.to_owned(),
            name: asset.name.clone(),
        });
    }
    let asset_ids = reserve_ids(&mut tx, "assets", batch.assets.len()).await?;
    let mut asset_id: HashMap<&str, i64> = HashMap::with_capacity(wanted.len());
    for (asset, id) in batch.assets.iter().zip(&asset_ids) {
        asset_id.insert(&asset.name, *id);
    }
    for (name, found) in &existing {
        asset_id.insert(name.as_str(), found.id);
    }

    // -- Version numbering: each asset's numbers continue its latest without gaps.
    let mut latest: HashMap<i64, i64> = HashMap::new();
    for (asset, list) in &versions_of {
        let Some(&id) = asset_id.get(asset) else {
            return Err(CatalogError::AssetNotFound {
                project: project.to_owned(),
                name: (*asset).to_owned(),
            });
        };
        let mut expected = existing.get(*asset).map_or(0, |e| e.latest) + 1;
        for &i in list {
            let number = batch.versions[i].number;
            if number != expected {
                return Err(invalid(format!(
                    "versions of `{asset}` must be numbered v{expected}, v{}, … without gaps or \
                     repeats (got v{number})",
                    expected + 1
                )));
            }
            expected += 1;
        }
        latest.insert(id, expected - 1);
    }
    for found in existing.values() {
        latest.entry(found.id).or_insert(found.latest);
    }

    // -- Sequences and shots.
    let mut sequence_names: Vec<&str> = batch.shots.iter().map(|s| s.sequence.as_str()).collect();
    for link in &batch.links {
        for entity in [&link.src, &link.dst] {
            if let EntityRef::Shot { sequence, .. } = entity {
                sequence_names.push(sequence);
            }
        }
    }
    let sequence_names = super::imp::distinct(sequence_names);
    let mut sequence_id: HashMap<String, i64> = HashMap::new();
    for names in lookup_batches(&sequence_names) {
        let sql = format!(
            "SELECT id, name FROM sequences WHERE project_id = $1 AND name IN ({})",
            placeholders(2, names.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(project_id);
        for name in &names {
            q = q.bind(*name);
        }
        for row in q.fetch_all(&mut *tx).await? {
            sequence_id.insert(row.try_get("name")?, row.try_get("id")?);
        }
    }
    let existing_sequences: Vec<i64> = sequence_id.values().copied().collect();
    let mut new_sequences: Vec<&str> = batch
        .shots
        .iter()
        .map(|s| s.sequence.as_str())
        .filter(|name| !sequence_id.contains_key(*name))
        .collect();
    new_sequences = super::imp::distinct(new_sequences);
    let new_sequence_ids = reserve_ids(&mut tx, "sequences", new_sequences.len()).await?;
    for (name, id) in new_sequences.iter().zip(&new_sequence_ids) {
        sequence_id.insert((*name).to_owned(), *id);
    }
    // Shots that already exist in the sequences involved.
    let mut shot_id: HashMap<(String, String), i64> = HashMap::new();
    let sequence_of: HashMap<i64, String> = sequence_id
        .iter()
        .map(|(name, id)| (*id, name.clone()))
        .collect();
    for ids in lookup_batches(&existing_sequences) {
        let sql = format!(
            "SELECT id, sequence_id, name FROM shots WHERE sequence_id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in &ids {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *tx).await? {
            let sequence: i64 = row.try_get("sequence_id")?;
            shot_id.insert(
                (sequence_of[&sequence].clone(), row.try_get("name")?),
                row.try_get("id")?,
            );
        }
    }
    if let Some(shot) = batch
        .shots
        .iter()
        .find(|s| shot_id.contains_key(&(s.sequence.clone(), s.name.clone())))
    {
        return Err(CatalogError::ShotExists {
            project: project.to_owned(),
            shot: format!("{}/{}", shot.sequence, shot.name),
        });
    }
    let shot_ids = reserve_ids(&mut tx, "shots", batch.shots.len()).await?;
    for (shot, id) in batch.shots.iter().zip(&shot_ids) {
        shot_id.insert((shot.sequence.clone(), shot.name.clone()), *id);
    }

    // -- Links: resolve, check pins, duplicates and cycles.
    let resolve = |entity: &EntityRef| -> Result<Node> {
        match entity {
            EntityRef::Asset(name) => asset_id
                .get(name.as_str())
                .map(|id| (EntityKind::Asset, *id))
                .ok_or_else(|| CatalogError::AssetNotFound {
                    project: project.to_owned(),
                    name: name.clone(),
                }),
            EntityRef::Shot { sequence, shot } => shot_id
                .get(&(sequence.clone(), shot.clone()))
                .map(|id| (EntityKind::Shot, *id))
                .ok_or_else(|| CatalogError::ShotNotFound {
                    project: project.to_owned(),
                    shot: entity.to_string(),
                }),
        }
    };
    let new_ids: HashSet<Node> = asset_ids
        .iter()
        .map(|id| (EntityKind::Asset, *id))
        .chain(shot_ids.iter().map(|id| (EntityKind::Shot, *id)))
        .collect();
    let mut link_rows: Vec<(Node, Node, &str, Option<i64>)> = Vec::with_capacity(batch.links.len());
    let mut names: HashMap<Node, String> = HashMap::new();
    let mut touches_existing = false;
    for link in &batch.links {
        let src = resolve(&link.src)?;
        let dst = resolve(&link.dst)?;
        if let (Some(pin), EntityRef::Asset(asset)) = (link.pin, &link.dst) {
            let last = latest.get(&dst.1).copied().unwrap_or(0);
            if pin > last {
                return Err(CatalogError::VersionNotFound {
                    asset: asset.clone(),
                    number: pin,
                    latest: (last > 0).then_some(last),
                });
            }
        }
        touches_existing |= !new_ids.contains(&src) || !new_ids.contains(&dst);
        names.insert(src, link.src.to_string());
        names.insert(dst, link.dst.to_string());
        link_rows.push((src, dst, link.kind.as_str(), link.pin));
    }
    let mut keys: HashSet<(Node, Node, &str)> = HashSet::with_capacity(link_rows.len());
    let mut edges: Vec<(Node, Node)> = Vec::with_capacity(link_rows.len());
    if touches_existing {
        // Cycles and duplicates may involve links already recorded.
        let rows = sqlx::query(
            "SELECT src_kind, src_id, dst_kind, dst_id, kind FROM links WHERE project_id = $1",
        )
        .bind(project_id)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let kind_of = |s: String| -> Result<EntityKind> {
                s.parse()
                    .map_err(|e| crate::sql::corrupt(format!("a link names a bad kind: {e}")))
            };
            let src = (kind_of(row.try_get("src_kind")?)?, row.try_get("src_id")?);
            let dst = (kind_of(row.try_get("dst_kind")?)?, row.try_get("dst_id")?);
            let kind: String = row.try_get("kind")?;
            let kind = bifrost_core::production::LinkKind::ALL
                .iter()
                .find(|k| k.as_str() == kind)
                .map_or("reference", |k| k.as_str());
            keys.insert((src, dst, kind));
            edges.push((src, dst));
        }
    }
    for (i, (src, dst, kind, _)) in link_rows.iter().enumerate() {
        if !keys.insert((*src, *dst, *kind)) {
            let link = &batch.links[i];
            return Err(CatalogError::LinkExists {
                src: link.src.to_string(),
                dst: link.dst.to_string(),
                kind: link.kind.to_string(),
            });
        }
        edges.push((*src, *dst));
    }
    if let Some(cycle) = find_cycle(&edges) {
        let mut shown = Vec::with_capacity(cycle.len());
        for node in &cycle {
            match names.get(node) {
                Some(name) => shown.push(name.clone()),
                None => {
                    let name: Option<String> = match node.0 {
                        EntityKind::Shot => {
                            sqlx::query_scalar(
                                "SELECT q.name || '/' || s.name FROM shots s \
                             JOIN sequences q ON q.id = s.sequence_id WHERE s.id = $1",
                            )
                            .bind(node.1)
                            .fetch_optional(&mut *tx)
                            .await?
                        }
                        _ => {
                            sqlx::query_scalar("SELECT name FROM assets WHERE id = $1")
                                .bind(node.1)
                                .fetch_optional(&mut *tx)
                                .await?
                        }
                    };
                    shown.push(name.unwrap_or_else(|| format!("#{}", node.1)));
                }
            }
        }
        return Err(CatalogError::LinkCycle { cycle: shown });
    }

    // -- Writes.
    let mut docs: Vec<Doc> = Vec::new();
    let rows: Vec<(i64, &bifrost_core::NewAsset)> =
        asset_ids.iter().copied().zip(&batch.assets).collect();
    insert_rows(
        &mut tx,
        "INSERT INTO assets (id, project_id, name, asset_type, metadata, created_at, status, \
         department)",
        8,
        "",
        &rows,
        |q, (id, a)| {
            q.bind(*id)
                .bind(project_id)
                .bind(a.name.clone())
                .bind(a.asset_type.clone())
                .bind(Json(a.metadata.clone()))
                .bind(created_at)
                .bind(status.clone())
                .bind(a.department.clone())
        },
    )
    .await?;
    let mut tag_rows: Vec<(i64, &str)> = Vec::new();
    let mut sorted_tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, asset) in &rows {
        let mut tags = asset.tags.clone();
        tags.sort();
        tags.dedup();
        sorted_tags.insert(*id, tags);
    }
    for (id, _) in &rows {
        for tag in &sorted_tags[id] {
            tag_rows.push((*id, tag));
        }
    }
    insert_rows(
        &mut tx,
        "INSERT INTO asset_tags (asset_id, tag)",
        2,
        "",
        &tag_rows,
        |q, (id, tag)| q.bind(*id).bind((*tag).to_owned()),
    )
    .await?;

    let empty = Metadata::new();
    let sequence_rows: Vec<(i64, &str)> = new_sequence_ids
        .iter()
        .copied()
        .zip(new_sequences.iter().copied())
        .collect();
    insert_rows(
        &mut tx,
        "INSERT INTO sequences (id, project_id, name, metadata, created_at)",
        5,
        "",
        &sequence_rows,
        |q, (id, name)| {
            q.bind(*id)
                .bind(project_id)
                .bind((*name).to_owned())
                .bind(Json(Metadata::new()))
                .bind(created_at)
        },
    )
    .await?;
    for (id, name) in &sequence_rows {
        docs.push(Doc::sequence(
            project_id,
            *id,
            name,
            created_at,
            sequence_text(name, &empty),
        ));
    }
    let shot_rows: Vec<(i64, i64, &bifrost_core::production::NewShot)> = shot_ids
        .iter()
        .zip(&batch.shots)
        .map(|(id, shot)| (*id, sequence_id[&shot.sequence], shot))
        .collect();
    insert_rows(
        &mut tx,
        "INSERT INTO shots (id, project_id, sequence_id, name, frame_start, frame_end, fps, \
         status, metadata, created_at)",
        10,
        "",
        &shot_rows,
        |q, (id, sequence, shot)| {
            q.bind(*id)
                .bind(project_id)
                .bind(*sequence)
                .bind(shot.name.clone())
                .bind(shot.frame_start)
                .bind(shot.frame_end)
                .bind(shot.fps.unwrap_or(DEFAULT_FPS))
                .bind(status.clone())
                .bind(Json(shot.metadata.clone()))
                .bind(created_at)
        },
    )
    .await?;
    for (id, sequence, shot) in &shot_rows {
        docs.push(Doc::shot(
            project_id,
            *id,
            *sequence,
            (&shot.sequence, &shot.name),
            created_at,
            shot_text(&shot.sequence, &shot.name, &shot.metadata, []),
        ));
    }

    // Versions, with parents: the previous number's id.
    let version_ids = reserve_ids(&mut tx, "versions", batch.versions.len()).await?;
    let mut version_rows: Vec<(i64, i64, Option<i64>, usize)> =
        Vec::with_capacity(batch.versions.len());
    let mut next = version_ids.iter().copied();
    let mut grown: Vec<i64> = Vec::new();
    for (asset, list) in &versions_of {
        let owner = asset_id[asset];
        let mut parent = existing.get(*asset).and_then(|e| e.latest_id);
        if existing.contains_key(*asset) {
            grown.push(owner);
        }
        for &i in list {
            let id = next
                .next()
                .ok_or_else(|| invalid("ran out of reserved version ids"))?;
            version_rows.push((id, owner, parent, i));
            parent = Some(id);
        }
    }
    insert_rows(
        &mut tx,
        "INSERT INTO versions (id, asset_id, number, author, note, created_at, parent_id, \
         file_count, total_bytes)",
        9,
        "",
        &version_rows,
        |q, (id, owner, parent, i)| {
            let v = &batch.versions[*i];
            q.bind(*id)
                .bind(*owner)
                .bind(v.number)
                .bind(v.author.clone())
                .bind(v.note.clone())
                .bind(v.created_at)
                .bind(*parent)
                .bind(v.file_count)
                .bind(v.total_bytes)
        },
    )
    .await?;
    for (id, owner, _, i) in &version_rows {
        let v = &batch.versions[*i];
        docs.push(Doc::version(
            project_id,
            *id,
            *owner,
            (&v.asset, v.number),
            v.created_at,
            version_text(&v.note, &empty, []),
        ));
    }
    for (id, asset) in &rows {
        let notes = versions_of
            .get(asset.name.as_str())
            .into_iter()
            .flatten()
            .map(|&i| batch.versions[i].note.as_str());
        docs.push(Doc::asset(
            project_id,
            *id,
            &asset.name,
            created_at,
            asset_text(
                &asset.name,
                &asset.asset_type,
                &sorted_tags[id],
                &asset.metadata,
                notes,
                [],
            ),
        ));
    }

    insert_rows(
        &mut tx,
        "INSERT INTO links (src_kind, src_id, dst_kind, dst_id, kind, pin, project_id, created_at)",
        8,
        "",
        &link_rows,
        |q, (src, dst, kind, pin)| {
            q.bind(src.0.as_str())
                .bind(src.1)
                .bind(dst.0.as_str())
                .bind(dst.1)
                .bind(*kind)
                .bind(*pin)
                .bind(project_id)
                .bind(created_at)
        },
    )
    .await?;

    search::insert_docs(&mut tx, &docs).await?;
    for id in grown {
        search::refresh_asset_doc(&mut tx, id).await?;
    }
    // The assets created, as `create_asset` returns them: what their journal entries record.
    let created: Vec<Asset> = if journal.is_pending() {
        batch
            .assets
            .iter()
            .zip(&asset_ids)
            .map(|(asset, &id)| {
                let mut tags = asset.tags.clone();
                tags.sort();
                tags.dedup();
                Asset {
                    id,
                    project: project.to_owned(),
                    name: asset.name.clone(),
                    asset_type: asset.asset_type.clone(),
                    tags,
                    metadata: asset.metadata.clone(),
                    department: asset.department.clone(),
                    created_at,
                    latest_version: latest.get(&id).copied().filter(|&n| n > 0),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    commit_journaled(tx, journal, &created).await?;
    if IS_POSTGRES {
        // Fresh planner statistics for the tables that just grew (until autovacuum gets round
        // to it, PostgreSQL would plan with the estimates of nearly empty tables), and a
        // visibility map, without which every index-only scan reads the table as well.
        // Only the tables an import writes: the rest of a studio's catalog (chunks, packs…)
        // did not change and can be large.
        sqlx::query(
            "VACUUM (ANALYZE) assets, asset_tags, sequences, shots, versions, links, search_docs",
        )
        .execute(pool)
        .await?;
    }
    let summary = ImportSummary {
        assets: rows.len() as u64,
        sequences: sequence_rows.len() as u64,
        shots: shot_rows.len() as u64,
        versions: version_rows.len() as u64,
        links: link_rows.len() as u64,
    };
    tracing::info!(project, ?summary, "bulk import");
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found() {
        let a = (EntityKind::Asset, 1);
        let b = (EntityKind::Asset, 2);
        let c = (EntityKind::Shot, 3);
        assert_eq!(find_cycle(&[(a, b), (b, c)]), None);
        let cycle = find_cycle(&[(a, b), (b, c), (c, a)]).unwrap();
        assert_eq!(cycle.len(), 4);
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(find_cycle(&[]), None);
    }
}
