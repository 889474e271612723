//! No input makes the CLI panic, hang or die of a signal. The walk takes every command of the
//! grammar (`Cli::command()`, all subcommands recursively) and feeds each argument and option,
//! one at a time, extreme values: zero, -1, the ends of i64 and u64 and one past them, huge
//! durations, empty, very long and unusual text, a path to a full device, a path that does not
//! exist; each command also runs with stdout on a full device and with stdout a closed pipe.
//! Every command gets its own copy of a small repository (an asset with a version, a sequence
//! with a shot, a workspace), the edge commands a simulated Modbus device. A run fails on a
//! panic (status 101 or the panic hook's marker, or `panicked at`), a signal, a timeout, or a
//! failure without a message.
//!
//! Skipped, because they run until stopped by nature: `serve` and `edge simulate` (both until
//! Ctrl-C). `edge read --watch` gets `--times 2` so that it ends.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bifrost_cli::{CLOSED_PIPE_STATUS, Cli, PANIC_MARKER};
use clap::CommandFactory;

use crate::support::*;

/// Commands that never end by themselves.
const SKIPPED: &[&str] = &["serve", "edge simulate"];

/// One invocation may take this long (a debug build, on a busy machine) before it counts as
/// hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A command of the grammar with no subcommands, and what it takes.
#[derive(Debug)]
struct Leaf {
    /// The subcommand names (`["asset", "create"]`).
    path: Vec<String>,
    args: Vec<ArgInfo>,
}

#[derive(Debug, Clone)]
struct ArgInfo {
    id: String,
    long: Option<String>,
    short: Option<char>,
    takes_value: bool,
    required: bool,
    possible: Vec<String>,
    value_name: String,
}

impl ArgInfo {
    fn positional(&self) -> bool {
        self.long.is_none() && self.short.is_none()
    }

    /// The option with `value`, as one word (`--ttl=0`, so a value may start with `-`).
    fn option(&self, value: Option<&str>) -> String {
        let flag = match (&self.long, self.short) {
            (Some(long), _) => format!("--{long}"),
            (None, Some(short)) => format!("-{short}"),
            (None, None) => unreachable!("options have a name"),
        };
        match value {
            Some(v) => format!("{flag}={v}"),
            None => flag,
        }
    }
}

fn leaves(command: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Leaf>) {
    let subcommands: Vec<&clap::Command> = command.get_subcommands().collect();
    if subcommands.is_empty() {
        let args = command
            .get_arguments()
            .filter(|a| !a.is_global_set() && !a.is_hide_set())
            .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
            .map(|a| ArgInfo {
                id: a.get_id().to_string(),
                long: a.get_long().map(String::from),
                short: a.get_short(),
                takes_value: a.get_action().takes_values(),
                required: a.is_required_set(),
                possible: a
                    .get_possible_values()
                    .iter()
                    .map(|p| p.get_name().to_owned())
                    .collect(),
                value_name: a
                    .get_value_names()
                    .and_then(|names| names.first())
                    .map_or_else(|| a.get_id().to_string().to_uppercase(), |n| n.to_string()),
            })
            .collect();
        out.push(Leaf {
            path: path.clone(),
            args,
        });
        return;
    }
    for sub in subcommands {
        if sub.get_name() == "help" {
            continue;
        }
        path.push(sub.get_name().to_owned());
        leaves(sub, path, out);
        path.pop();
    }
}

/// Where a leaf's commands run: a copy of the seeded repository and what its values name.
struct Sandbox {
    root: PathBuf,
    home: PathBuf,
    /// A link to `/dev/full` (a link, so that a write-and-rename replaces the link, never the
    /// device).
    full: PathBuf,
    /// A path whose parent does not exist either.
    missing: PathBuf,
    /// A tag file for the edge commands.
    tags: PathBuf,
    /// The simulated Modbus device.
    device: String,
}

/// Values that name what the seeded repository holds, by argument id, for the arguments a
/// command requires while another one is varied.
fn filler(arg: &ArgInfo, sandbox: &Sandbox) -> String {
    if let Some(first) = arg.possible.first() {
        return first.clone();
    }
    let id = arg.id.as_str();
    let value = match id {
        "asset" | "name" | "assets" | "items" | "from" | "src" | "target" => "hero",
        "to" | "dst" => "hero@v1",
        "reference" | "version_ref" | "at" => "hero@v1",
        "version" | "number" => "v1",
        "sequence" => "SQ010",
        "shot" | "entity" => "SQ010/SH010",
        "frames" => "1001-1096",
        "project" => "main",
        "user" | "member" => "ana",
        "role" => "artist",
        "department" | "departments" => "anim",
        "status" => "wip",
        "query" => "type:prop",
        "text" | "note" | "message" | "body" => "looks good",
        "device" => sandbox.device.as_str(),
        "addr" => "hr:0..4",
        "args" => return format!("{} hr:0 7", sandbox.device),
        "tags" => return sandbox.tags.display().to_string(),
        "url" => "http://127.0.0.1:9",
        "kind" => "reference",
        "shell" => "bash",
        _ => match arg.value_name.as_str() {
            "DIR" | "PATH" | "FILE" | "DEST" => {
                return sandbox.root.join("out").display().to_string();
            }
            "DURATION" | "INTERVAL" => "1h",
            "N" => "1",
            "KEY=VALUE" => "k=v",
            "vN" => "v1",
            "NAME@vN" => "hero@v1",
            _ => "hero",
        },
    };
    value.to_owned()
}

/// Extreme values for any argument that takes one.
fn extremes(arg: &ArgInfo, sandbox: &Sandbox) -> Vec<String> {
    let mut values: Vec<String> = [
        "0",
        "-1",
        "9223372036854775807",
        "18446744073709551616",
        "99999999999999d",
        "",
        "ünï 😀 \u{202e}",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    values.push("x".repeat(100_000));
    values.push(sandbox.full.display().to_string());
    values.push(sandbox.missing.display().to_string());
    values.extend(arg.possible.iter().cloned());
    let by_kind: &[&str] = match arg.value_name.as_str() {
        "FIRST-LAST" => &[
            "0-9223372036854775807",
            "9223372036854775807-9223372036854775807",
        ],
        "DURATION" | "INTERVAL" | "WHEN" => &["99999999999h", "1e400", "9999-12-31T23:59:59Z"],
        "ADDR" => &["hr:65535..65536", "0..65536", "co:0x10000"],
        "NAME@vN" => &["hero@v9223372036854775807", "hero@v0"],
        "vN" => &["v9223372036854775807"],
        "KEY=VALUE" => &["a.b.c=1e400", "=", "a..b=1"],
        "N" => &["4294967296"],
        _ => &[],
    };
    values.extend(by_kind.iter().map(|v| v.to_string()));
    values
}

/// What a command needs besides its required arguments so that it ends, and ends soon,
/// while the argument `varied` takes its extreme values.
fn extra_for(leaf: &str, varied: &str) -> Vec<String> {
    let extra: Vec<&str> = match (leaf, varied) {
        ("edge read", "watch") => vec!["--times=2"],
        ("edge read", "times") => vec!["--watch=10ms"],
        ("demo", "size_mib") => vec!["--versions=1"],
        ("demo", "versions") => vec!["--size-mib=1"],
        ("demo", _) => vec!["--size-mib=1", "--versions=1"],
        _ => vec![],
    };
    extra.into_iter().map(String::from).collect()
}

/// How stdout is connected for one run.
#[derive(Debug, Clone, Copy)]
enum Stdout {
    File,
    FullDevice,
    ClosedPipe,
}

/// One invocation of the walk.
struct Run {
    args: Vec<String>,
    stdout: Stdout,
}

fn runs_of(leaf: &Leaf, sandbox: &Sandbox) -> Vec<Run> {
    let name = leaf.path.join(" ");
    let build = |varied: Option<(&ArgInfo, Option<&str>)>| -> Vec<String> {
        let varied_id = varied.map_or("", |(a, _)| a.id.as_str());
        let mut options = Vec::new();
        let mut positionals = Vec::new();
        for arg in &leaf.args {
            let value = match varied {
                Some((v, value)) if v.id == arg.id => {
                    if arg.takes_value {
                        value.map(String::from)
                    } else {
                        None
                    }
                }
                _ if arg.required => Some(filler(arg, sandbox)),
                _ => continue,
            };
            if arg.positional() {
                positionals.extend(value);
            } else if arg.takes_value {
                options.push(arg.option(value.as_deref()));
            } else {
                options.push(arg.option(None));
            }
        }
        let mut args: Vec<String> = leaf.path.clone();
        args.extend(options);
        args.extend(extra_for(&name, varied_id));
        if !positionals.is_empty() {
            args.push("--".into());
            // A required positional that takes several words (`edge write`'s ARGS).
            for p in positionals {
                if p.contains(' ') && p.contains(&sandbox.device) {
                    args.extend(p.split(' ').map(String::from));
                } else {
                    args.push(p);
                }
            }
        }
        args
    };
    let mut runs = vec![
        Run {
            args: build(None),
            stdout: Stdout::File,
        },
        Run {
            args: [vec!["--json".to_owned()], build(None)].concat(),
            stdout: Stdout::File,
        },
        Run {
            args: build(None),
            stdout: Stdout::FullDevice,
        },
        Run {
            args: build(None),
            stdout: Stdout::ClosedPipe,
        },
    ];
    if name == "asset list" {
        // The global options, on one command (they mean the same on every command).
        let global = ArgInfo {
            id: "global".into(),
            long: None,
            short: None,
            takes_value: true,
            required: false,
            possible: Vec::new(),
            value_name: "PATH".into(),
        };
        for value in extremes(&global, sandbox) {
            for option in [
                format!("-C{value}"),
                format!("--project={value}"),
                format!("--remote={value}"),
            ] {
                runs.push(Run {
                    args: [vec![option], build(None)].concat(),
                    stdout: Stdout::File,
                });
            }
        }
    }
    for arg in &leaf.args {
        if arg.takes_value {
            for value in extremes(arg, sandbox) {
                runs.push(Run {
                    args: build(Some((arg, Some(&value)))),
                    stdout: Stdout::File,
                });
            }
        } else {
            runs.push(Run {
                args: build(Some((arg, None))),
                stdout: Stdout::File,
            });
        }
    }
    runs
}

/// Runs one invocation; `Err` says why it failed the walk.
fn run_one(sandbox: &Sandbox, run: &Run, scratch: &Path) -> Result<(), String> {
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let stderr = std::fs::File::create(&err_path).expect("stderr file");
    let mut command = if Path::new("/usr/bin/setsid").exists() {
        // No controlling terminal: a password prompt fails at once instead of waiting.
        let mut c = std::process::Command::new("/usr/bin/setsid");
        c.arg(BIN);
        c
    } else {
        std::process::Command::new(BIN)
    };
    command
        .args(&run.args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sandbox.home)
        .env("BIFROST_AUTHOR", AUTHOR)
        .current_dir(&sandbox.root)
        .stdin(Stdio::null())
        .stderr(stderr);
    match run.stdout {
        Stdout::File => {
            command.stdout(std::fs::File::create(&out_path).expect("stdout file"));
        }
        Stdout::FullDevice => {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("open /dev/full");
            command.stdout(full);
        }
        Stdout::ClosedPipe => {
            command.stdout(Stdio::piped());
        }
    }
    let mut child = command.spawn().expect("start bifrost");
    // The reader goes away at once: every write to stdout meets a closed pipe.
    drop(child.stdout.take());
    let started = Instant::now();
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().expect("wait for bifrost") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("did not end within {TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr);
    let tail = || {
        let lines: Vec<&str> = stderr.lines().take(8).collect();
        let text = lines.join("\n");
        text.chars().take(1500).collect::<String>()
    };
    if status.code() == Some(101) || stderr.contains(PANIC_MARKER) || stderr.contains("panicked at")
    {
        return Err(format!("panicked ({status}):\n{}", tail()));
    }
    let Some(code) = status.code() else {
        return Err(format!("died of a signal ({status}):\n{}", tail()));
    };
    match (run.stdout, code) {
        (_, 0) => Ok(()),
        (Stdout::ClosedPipe, CLOSED_PIPE_STATUS) => Ok(()),
        (Stdout::FullDevice, 1) if stderr.contains("error: cannot write to standard output") => {
            Ok(())
        }
        (_, 1 | 2) if stderr.trim().is_empty() => Err(format!("failed ({code}) without a message")),
        (_, 1 | 2) => Ok(()),
        _ => Err(format!("unexpected exit status {code}:\n{}", tail())),
    }
}

fn describe_args(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            let a: String = if a.chars().count() > 40 {
                format!(
                    "{}…({} chars)",
                    a.chars().take(20).collect::<String>(),
                    a.len()
                )
            } else {
                a.clone()
            };
            if a.is_empty() || a.contains(' ') {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The repository every leaf starts from: an asset `hero` with v1, a sequence SQ010 with the
/// shot SH010, a user `ana`, a workspace.
fn seeded() -> Repo {
    let repo = Repo::new();
    repo.create_asset("hero", "prop");
    let input = repo.work("hero");
    write_random(&input.join("hero.bin"), 100_000, 1);
    repo.publish("hero", &[&input]);
    repo.ok(&["seq", "create", "SQ010"]);
    repo.ok(&["shot", "create", "SQ010/SH010", "--frames", "1001-1096"]);
    let mut add_user = repo.cmd();
    add_user
        .args(["user", "add", "ana", "--role", "artist", "--password-stdin"])
        .write_stdin("a long password")
        .assert()
        .success();
    repo
}

/// Copies `from` (a directory tree of files, directories and links) to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let kind = entry.file_type().expect("file type");
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("read link");
            std::os::unix::fs::symlink(link, &target).expect("copy link");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

#[test]
fn no_input_makes_any_command_panic_hang_or_die() {
    let mut grammar = Cli::command();
    grammar.build();
    let mut all = Vec::new();
    leaves(&grammar, &mut Vec::new(), &mut all);
    assert!(all.len() > 100, "the walk found {} commands", all.len());
    let leaves: Vec<Leaf> = all
        .into_iter()
        .filter(|l| !SKIPPED.contains(&l.path.join(" ").as_str()))
        .collect();

    let runtime = tokio::runtime::Runtime::new().expect("a runtime for the simulator");
    let device = runtime.block_on(async {
        let simulator = std::sync::Arc::new(bifrost_edge::Simulator::new(Default::default()));
        simulator
            .bind("127.0.0.1:0")
            .await
            .expect("bind the simulator")
    });
    let device_address = device.address().to_string();

    let template = seeded();
    let tags = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bifrost-edge/tests/data/plant.toml")
        .canonicalize()
        .expect("the example tag file");
    let scratch = tempfile::Builder::new()
        .prefix("bifrost-walk-")
        .tempdir()
        .expect("scratch dir");

    let queue = Mutex::new(leaves.into_iter().enumerate().collect::<VecDeque<_>>());
    let failures = Mutex::new(Vec::<String>::new());
    let count = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let Some((i, leaf)) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    let base = scratch.path().join(format!("leaf{i}"));
                    let root = base.join("repo");
                    copy_tree(&template.root, &root);
                    let home = base.join("home");
                    copy_tree(&template.home, &home);
                    let full = base.join("full");
                    std::os::unix::fs::symlink("/dev/full", &full).expect("link to /dev/full");
                    let sandbox = Sandbox {
                        root,
                        home,
                        full,
                        missing: base.join("missing/deeper/x"),
                        tags: tags.clone(),
                        device: device_address.clone(),
                    };
                    for run in runs_of(&leaf, &sandbox) {
                        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if let Err(why) = run_one(&sandbox, &run, &base) {
                            failures.lock().unwrap().push(format!(
                                "bifrost {} (stdout: {:?}): {why}",
                                describe_args(&run.args),
                                run.stdout
                            ));
                        }
                    }
                    let _ = std::fs::remove_dir_all(&base);
                }
            });
        }
    });
    runtime.block_on(device.stop());
    let failures = failures.into_inner().unwrap();
    let count = count.into_inner();
    eprintln!(
        "the walk ran {count} commands in {:.0?} on {workers} threads",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} runs failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
