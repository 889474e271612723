//! `bifrost demo`: a repository with generated assets that shows deduplication at work.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bifrost::core::NewAsset;
use bifrost::core::synthetic::{edit_one_percent, random_bytes};
use bifrost::{InitOptions, Repository};

use crate::cli::Cli;
use crate::output::{Out, human_bytes};
use crate::session;

/// Create a demo repository, publish generated assets and show the deduplication.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to create the demo repository (must not exist yet).
    #[arg(default_value = "bifrost-demo")]
    pub path: std::path::PathBuf,
    /// Size of the generated scene file, in MiB (1 to 1024).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub size_mib: u64,
    /// Versions to publish of each asset (1 to 100).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub versions: u32,
}

pub async fn run(args: &DemoArgs, cli: &Cli, out: &Out) -> Result<()> {
    let base = session::start_dir(cli)?;
    demo(
        &session::absolute(&base, &args.path),
        args,
        out,
        session::bar(cli),
    )
    .await
}

async fn demo(
    path: &Path,
    args: &DemoArgs,
    out: &Out,
    progress: Arc<dyn bifrost::Progress>,
) -> Result<()> {
    if path.join(bifrost::DOT_DIR).exists() {
        bail!(
            "{} already holds a repository; pass another path to `bifrost demo`",
            path.display()
        );
    }
    let repo = Repository::init(path, InitOptions::default()).await?;
    let work = tempfile::tempdir().context("cannot create a scratch directory")?;
    let say = |s: String| {
        if !out.json() {
            println!("{s}");
        }
    };
    say(format!("demo repository: {}", repo.root().display()));

    let mk = |name: &str, t: &str, tags: &[&str]| NewAsset {
        name: name.into(),
        asset_type: t.into(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        metadata: Default::default(),
        department: None,
    };
    repo.create_asset(&mk("hero_scene", "scene", &["hero"]))
        .await?;
    repo.create_asset(&mk("barrel_textures", "texture", &["prop"]))
        .await?;
    repo.create_asset(&mk("sh010_cache", "cache", &["seq01"]))
        .await?;

    let scene_dir = work.path().join("scene");
    let tex_dir = work.path().join("textures");
    let cache_dir = work.path().join("cache");
    for d in [&scene_dir, &tex_dir, &cache_dir] {
        std::fs::create_dir_all(d)?;
    }
    let mut scene = random_bytes((args.size_mib * 1024 * 1024) as usize, 1);
    let mut textures: Vec<Vec<u8>> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                random_bytes(2 << 20, 100 + i)
            } else {
                format!("texel row {i} ").repeat(150_000).into_bytes()
            }
        })
        .collect();
    for v in 1..=args.versions {
        if v > 1 {
            edit_one_percent(&mut scene, u64::from(v));
            let t = (v as usize) % textures.len();
            textures[t] = random_bytes(2 << 20, 1000 + u64::from(v));
        }
        std::fs::write(scene_dir.join("hero.blend"), &scene)?;
        for (i, t) in textures.iter().enumerate() {
            std::fs::write(tex_dir.join(format!("barrel_{i}.exr")), t)?;
        }
        for f in 0..300u64 {
            let size = 1024 + ((f * 7919) % (63 * 1024)) as usize;
            // Most cache files repeat between versions; every tenth changes.
            let seed = if f % 10 == 0 {
                f + u64::from(v) * 10_000
            } else {
                f
            };
            std::fs::write(
                cache_dir.join(format!("frame_{f:04}.bin")),
                random_bytes(size, seed),
            )?;
        }
        for (asset, dir) in [
            ("hero_scene", &scene_dir),
            ("barrel_textures", &tex_dir),
            ("sh010_cache", &cache_dir),
        ] {
            let o = repo
                .publish(
                    asset,
                    std::slice::from_ref(dir),
                    &format!("demo v{v}"),
                    progress.clone(),
                )
                .await?;
            say(format!(
                "  {asset}@v{}: {} read, {} stored",
                o.version.number,
                human_bytes(o.bytes_read),
                human_bytes(o.bytes_stored)
            ));
        }
    }
    let check = tempfile::tempdir()?;
    repo.checkout(
        &"hero_scene".parse()?,
        check.path(),
        bifrost::CheckoutOptions::default(),
        progress.clone(),
    )
    .await?;
    let restored = std::fs::read(check.path().join("hero.blend"))?;
    if restored != scene {
        bail!("demo checkout differs from what was published");
    }
    say("checkout of hero_scene@latest verified byte for byte".into());
    let stats = repo.stats().await?;
    out.stats(&stats);
    repo.close().await;
    Ok(())
}
