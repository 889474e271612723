//! The command-line grammar (clap). Help texts teach; keep examples in them current.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Bifrost: versioned, deduplicated storage for production assets.
///
/// A repository keeps every version of every asset. Bytes are split into content-defined chunks
/// and stored once, however many versions or assets share them; the catalog (SQLite by default,
/// PostgreSQL for a studio) records projects, assets and versions.
///
/// Start with:  bifrost init && bifrost asset create hero --type prop && bifrost publish hero ./hero/
#[derive(Debug, Parser)]
#[command(
    name = "bifrost",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Run as if started in PATH (the repository is searched from there upwards).
    #[arg(short = 'C', global = true, value_name = "PATH")]
    pub dir: Option<PathBuf>,

    /// Act on this project instead of the current one (see `bifrost project use`).
    #[arg(
        long,
        short = 'p',
        global = true,
        value_name = "NAME",
        env = "BIFROST_PROJECT"
    )]
    pub project: Option<String>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Print less: no progress bars, no summaries.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// Run the command on a server instead of a local repository: the server you logged in to
    /// last (`bifrost login URL`), or the one given (--remote=URL).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "BIFROST_REMOTE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub remote: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a repository (default: SQLite catalog and local store inside PATH/.bifrost).
    ///
    /// Examples:
    ///   bifrost init
    ///   bifrost init /studio/show --catalog postgres://bifrost@db/show --store s3://assets?endpoint=http://minio:9000
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Init {
        /// Directory to create the repository in (default: the current directory).
        path: Option<PathBuf>,
        /// Catalog: a SQLite file path (default `.bifrost/catalog.db`) or postgres://USER@HOST/DB.
        #[arg(long, value_name = "URL")]
        catalog: Option<String>,
        /// Store: a directory (default `.bifrost/store`), file:///PATH, or
        /// s3://BUCKET[/PREFIX]?endpoint=URL (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
        #[arg(long, value_name = "URL")]
        store: Option<String>,
    },
    /// Create, list and switch projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Create, list and inspect assets.
    #[command(subcommand)]
    Asset(AssetCommand),
    /// Publish files and directories as the next version of an asset.
    ///
    /// A file is stored under its own name; a directory's files are stored relative to the
    /// directory. Only chunks the repository does not have yet are written.
    ///
    /// Example: bifrost publish hero ./hero/ -m "fix UVs"
    Publish {
        /// The asset (create it first with `bifrost asset create`).
        name: String,
        /// Files and directories to publish.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Publish note.
        #[arg(short = 'm', long = "message", value_name = "NOTE", default_value = "")]
        note: String,
        /// Author recorded on the version (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Show the version history of an asset.
    Log {
        /// The asset.
        name: String,
    },
    /// Materialise a version into a directory.
    ///
    /// Examples:
    ///   bifrost checkout hero ./work/hero          # latest version
    ///   bifrost checkout hero@v3 ./review/hero_v3
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Checkout {
        /// NAME, NAME@vN or NAME@latest.
        reference: String,
        /// Destination directory (created if missing).
        dest: PathBuf,
        /// Overwrite files that already exist at the destination.
        #[arg(long)]
        force: bool,
    },
    /// Show how much is stored and how much deduplication saves.
    Stats,
    /// Check the repository; exits with status 1 and names every missing or corrupt object.
    ///
    /// Checks the store against the catalog (every pack present, with --read-data every chunk
    /// verified) and the catalog itself: the database's integrity, the search index against
    /// what it indexes, versions, contents and chunks against each other, and whether the
    /// catalog lost changes committed through this repository (a deleted SQLite WAL file, an
    /// older copy restored). Exit status 1 when anything is wrong; each problem says what to do.
    ///
    /// Examples:
    ///   bifrost fsck --read-data
    ///   bifrost fsck --repair            # rebuild a damaged search index (loses nothing)
    ///   bifrost fsck --accept-catalog    # after recovering the catalog, accept it as it is
    #[command(verbatim_doc_comment)]
    Fsck {
        /// Also read every pack and verify every chunk's hash (slow: reads all stored data).
        #[arg(long)]
        read_data: bool,
        /// Rebuild the search index if it is found damaged, then check again (the index is
        /// derived from the other tables: rebuilding it loses nothing).
        #[arg(long)]
        repair: bool,
        /// Accept the catalog as it is now, after it lost changes and was recovered as far as
        /// possible (or an older copy was restored on purpose): publishing works again.
        #[arg(long)]
        accept_catalog: bool,
    },
    /// Delete chunks and packs no version needs (mark and sweep).
    Gc {
        /// Report what would be deleted without deleting anything.
        #[arg(long)]
        dry_run: bool,
        /// Leave unreferenced packs younger than this alone (at least 15m unless --force).
        /// Publishes in flight also lease their packs, which gc never touches.
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        grace: String,
        /// Accept a grace period shorter than 15m (only when no older Bifrost writes here).
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions: bifrost completions bash > /etc/bash_completion.d/bifrost
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Create a demo repository, publish generated assets and show the deduplication.
    Demo(DemoArgs),
    /// Talk to PLCs over Modbus: read, write, watch, or simulate a device.
    #[command(subcommand, after_help = crate::edge::HELP)]
    Edge(crate::edge::EdgeCommand),
    /// Log in to a server: later commands run there with --remote.
    ///
    /// Examples:
    ///   bifrost login http://hub.studio:8080 --user ana          # asks for the password
    ///   printf '%s' "$PASSWORD" | bifrost login hub:8080 --user ana --password-stdin
    ///   printf '%s' "$TOKEN" | bifrost login hub:8080 --token-stdin   # a service token
    ///   bifrost --remote asset list && bifrost --remote publish hero ./hero/
    /// The token is saved in ~/.config/bifrost/credentials.toml (mode 0600; BIFROST_CONFIG_DIR
    /// moves it); the server becomes the default for --remote.
    #[command(verbatim_doc_comment)]
    Login(crate::remote::LoginArgs),
    /// Forget the login to a server (default: the default one); its token is revoked.
    Logout {
        /// The server (as given to `bifrost login`).
        url: Option<String>,
    },
    #[command(flatten)]
    Production(crate::production::ProductionCommand),
    #[command(flatten)]
    Access(crate::access::AccessCommand),
    #[command(flatten)]
    Studio(crate::studio::StudioCommand),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo repository (must not exist yet).
    #[arg(default_value = "bifrost-demo")]
    pub path: PathBuf,
    /// Size of the generated scene file, in MiB.
    #[arg(long, default_value_t = 64)]
    pub size_mib: u64,
    /// Versions to publish of each asset.
    #[arg(long, default_value_t = 5)]
    pub versions: u32,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project.
    ///
    /// Example: bifrost project create show2 --template film   # workflow, departments, shots
    Create {
        /// Project name (letters, digits, `_`, `-`, `.`).
        name: String,
        /// Start from a template: film, series or game (workflow, departments, example shots).
        #[arg(long, value_name = "TEMPLATE")]
        template: Option<bifrost::Template>,
    },
    /// List projects (the current one is marked with *).
    List,
    /// Make a project the current one for this repository.
    Use {
        /// Project name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AssetCommand {
    /// Create an asset in the current project.
    ///
    /// Example: bifrost asset create barrel --type prop --tag hero --meta poly=12000 --meta artist=ana
    Create {
        /// Asset name, unique in the project (letters, digits, `_`, `-`, `.`).
        name: String,
        /// Asset type, e.g. prop, character, environment, texture, fx.
        #[arg(long = "type", short = 't', value_name = "TYPE")]
        asset_type: String,
        /// Tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Metadata KEY=VALUE (repeatable); VALUE is read as JSON when it parses (12, true, [1,2]),
        /// else as text; a dotted KEY (cam.lens=35) sets a nested key, as `meta.cam.lens` searches.
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// The department whose work it is: members restricted to other departments may not
        /// change or publish it.
        #[arg(long = "dept", value_name = "DEPARTMENT")]
        department: Option<String>,
    },
    /// List assets of the current project.
    List {
        /// Only assets of this type.
        #[arg(long = "type", short = 't', value_name = "TYPE")]
        asset_type: Option<String>,
        /// Only assets with this tag (repeatable: all must match).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Show one asset with its versions.
    Show {
        /// Asset name.
        name: String,
    },
    /// Change an asset's metadata.
    ///
    /// Example: bifrost asset update barrel --meta poly=9000 --meta old_key=null
    Update {
        /// Asset name.
        name: String,
        /// Metadata KEY=VALUE to set (repeatable; a dotted KEY sets a nested key; VALUE null
        /// removes the key).
        #[arg(long = "meta", value_name = "KEY=VALUE", required = true)]
        meta: Vec<String>,
        /// Replace all metadata with the given pairs instead of merging.
        #[arg(long)]
        replace_meta: bool,
    },
    /// Delete an asset and its versions (refused while others depend on it, unless --force).
    /// Its stored bytes are freed by the next `bifrost gc`.
    Delete {
        /// Asset name.
        name: String,
        /// Delete even if other assets or shots use it (their links are removed).
        #[arg(long)]
        force: bool,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
