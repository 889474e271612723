//! `bifrost edge …`: Modbus from the command line — read registers, bits or tags (once or
//! watching), write them, and run the simulator. Everything here parses and renders; the work is
//! `bifrost_edge`'s.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bifrost_edge::{ClientConfig, Device, Pool, Simulator, Table, Tag, TagFile, TagReading, Value};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::escape::{esc, json_compact};

/// Shown after `bifrost edge --help`'s command list: device addresses and a first session.
pub const HELP: &str = "\
DEVICE is HOST[:PORT] (port 502 by default) or a URL:
  tcp://HOST:PORT?unit=1&pipeline=16   pipeline: requests in flight at once (default 1;
                                       only for devices that answer bursts of frames)
  rtu:///dev/ttyUSB0?baud=19200&unit=3 serial line (8N1)
  rtu+tcp://HOST:PORT?unit=3           RTU frames through a serial gateway
With --tags, a device named in the tag file's [devices] table can be given by its name.

Try it:
  bifrost edge simulate --tags crates/bifrost-edge/tests/data/plant.toml &
  bifrost edge read 127.0.0.1:5020 hr:0..10
  bifrost edge read --tags crates/bifrost-edge/tests/data/plant.toml --watch 1s";

/// `bifrost edge` subcommands.
#[derive(Debug, Subcommand)]
pub enum EdgeCommand {
    /// Read registers, bits or tags, once or every INTERVAL.
    ///
    /// ADDR is [TABLE:]START[..END] (END exclusive). TABLE: hr (holding, the default),
    /// ir (input), co (coils), di (discrete inputs). Any length: reads are split at 125
    /// registers / 2,000 bits. With --tags, every tag of the file (or the NAMEs given) is read
    /// with as few requests as possible and shown with its unit and raw words.
    ///
    /// Examples:
    ///   bifrost edge read 127.0.0.1:5020 hr:100             # one holding register
    ///   bifrost edge read 127.0.0.1:5020 0..1000 --json     # 1,000 holding registers
    ///   bifrost edge read plc.local co:0..16                # 16 coils
    ///   bifrost edge read --tags plant.toml                 # every tag, devices from the file
    ///   bifrost edge read 10.0.0.5 --tags plant.toml --name boiler.temperature --watch 500ms
    #[command(verbatim_doc_comment)]
    Read(ReadArgs),
    /// Write registers, coils or tags.
    ///
    /// One value writes with function 06 (register) or 05 (coil); several with 16 or 15,
    /// split as needed. Register values are 0..65535, 0x hex, or -32768..-1 (two's complement).
    /// With --tags, give NAME=VALUE pairs: values are converted by each tag's type, byte order,
    /// scale and offset.
    ///
    /// Examples:
    ///   bifrost edge write 127.0.0.1:5020 hr:10 1234
    ///   bifrost edge write 127.0.0.1:5020 hr:10 1 2 3 0xBEEF
    ///   bifrost edge write 127.0.0.1:5020 co:5 true
    ///   bifrost edge write --tags plant.toml boiler.pressure=2.5 pump.on=false
    #[command(verbatim_doc_comment)]
    Write(WriteArgs),
    /// Serve a simulated Modbus TCP device until Ctrl-C.
    ///
    /// Every table has 65,536 items, zero unless a tag of the file gives a `value`. The file's
    /// [simulator] table sets latency and faults (exceptions, silence, garbled frames, wrong
    /// transaction ids, delays); see the example tag file.
    ///
    /// Examples:
    ///   bifrost edge simulate --tags crates/bifrost-edge/tests/data/plant.toml
    ///   bifrost edge simulate --listen 0.0.0.0:1502 --latency 5ms
    #[command(verbatim_doc_comment)]
    Simulate(SimulateArgs),
    /// Query a series of a time-series engine directory (a gateway's data), optionally
    /// downsampled. Reads what is sealed on disk; safe beside a running gateway.
    ///
    /// Examples:
    ///   bifrost edge query boiler.temp --data ./data                      # the last hour
    ///   bifrost edge query boiler.temp --data ./data --since 1h --agg mean:1m --json
    ///   bifrost edge query pump.flow --data ./data --since 7d --agg max:1h
    ///   bifrost edge query pump.flow --data ./data --since 2026-12-01T00:00:00Z --until 1d
    #[command(verbatim_doc_comment)]
    Query(super::edge_series::QueryArgs),
    /// List the series of a time-series engine directory.
    #[command(subcommand)]
    Series(super::edge_series::SeriesCommand),
    /// Run an edge gateway: poll Modbus sources, run pipelines, forward to MQTT, InfluxDB or
    /// PostgreSQL through a disk log per sink (nothing is deleted before the sink acknowledged
    /// it). SIGHUP reloads the file; Ctrl-C or SIGTERM stops and flushes.
    ///
    /// Examples:
    ///   bifrost edge simulate --tags crates/bifrost-edge/tests/data/plant.toml &
    ///   bifrost edge run crates/bifrost-bridge/examples/gateway.toml
    ///   curl http://127.0.0.1:9810/metrics
    ///   kill -HUP <pid>                                  # reload the file
    #[command(verbatim_doc_comment)]
    Run(super::edge_gateway::RunArgs),
}

/// Connection options shared by read and write.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Per-request timeout (e.g. 500ms, 3s).
    #[arg(long, default_value = "3s", value_name = "DURATION")]
    timeout: String,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The device (see `bifrost edge --help`); optional with --tags when the file names devices.
    device: Option<String>,
    /// [TABLE:]START[..END], e.g. hr:0..100, ir:5, co:0..16.
    addr: Option<String>,
    /// Read the tags of this TOML tag file instead of an address range.
    #[arg(long, value_name = "FILE")]
    tags: Option<PathBuf>,
    /// With --tags: only these tags (repeatable).
    #[arg(long = "name", value_name = "NAME", requires = "tags")]
    names: Vec<String>,
    /// Read again every INTERVAL (e.g. 500ms, 2s) until Ctrl-C; with --json, one JSON line per round.
    #[arg(long, value_name = "INTERVAL")]
    watch: Option<String>,
    /// With --watch: stop after N rounds.
    #[arg(long, value_name = "N", requires = "watch")]
    times: Option<u64>,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct WriteArgs {
    /// DEVICE ADDR VALUE…, or with --tags: [DEVICE] NAME=VALUE…
    #[arg(required = true, value_name = "ARGS")]
    args: Vec<String>,
    /// Write tags of this TOML tag file (NAME=VALUE pairs).
    #[arg(long, value_name = "FILE")]
    tags: Option<PathBuf>,
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Tag file: initial values and the [simulator] table (latency, faults).
    #[arg(long, value_name = "FILE")]
    tags: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5020", value_name = "ADDR")]
    listen: String,
    /// Delay before every answer (overrides the file's latency_ms), e.g. 5ms.
    #[arg(long, value_name = "DURATION")]
    latency: Option<String>,
}

/// The longest interval, timeout or latency the edge commands take: one day.
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Parses 250ms, 2s, 1m or a bare number of seconds, at most [`MAX_INTERVAL`].
pub fn parse_interval(text: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
        .with_context(|| format!("{text:?} is not a duration: write e.g. 250ms, 2s or 1m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        _ => bail!("{text:?}: unknown unit {unit:?}; use ms, s or m (e.g. 250ms)"),
    };
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d <= MAX_INTERVAL => Ok(d),
        _ => bail!("{text:?} is too long: the longest is 1440m (one day)"),
    }
}

/// A parsed ADDR: table, start and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrRange {
    pub table: Table,
    pub start: u16,
    pub count: usize,
}

/// Parses `[TABLE:]START[..END]` (END exclusive).
pub fn parse_addr(text: &str) -> Result<AddrRange> {
    let hint = "write [TABLE:]START[..END], e.g. hr:100, 0..1000, co:0..16 (END exclusive)";
    let (table, range) = match text.split_once(':') {
        Some((t, r)) => (t.parse::<Table>().map_err(anyhow::Error::msg)?, r),
        None => (Table::Holding, text),
    };
    let number = |s: &str| -> Result<u32> {
        let s = s.trim();
        let n = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => s.parse(),
        };
        n.ok()
            .filter(|n| *n <= 0x1_0000)
            .with_context(|| format!("address {text:?}: {s:?} is not an address 0..65535; {hint}"))
    };
    let (start, end) = match range.split_once("..") {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let a = number(range)?;
            (a, a + 1)
        }
    };
    if start > 0xFFFF || end <= start {
        bail!("address {text:?}: the range is empty or starts past 65535; {hint}");
    }
    Ok(AddrRange {
        table,
        start: start as u16,
        count: (end - start) as usize,
    })
}

/// Parses one register value: 0..65535, 0x hex, or a negative i16.
fn parse_register(text: &str) -> Result<u16> {
    let t = text.trim();
    let v = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u16::from_str_radix(hex, 16).ok()
    } else if t.starts_with('-') {
        t.parse::<i16>().ok().map(|v| v as u16)
    } else {
        t.parse::<u16>().ok()
    };
    v.with_context(|| {
        format!("{text:?} is not a register value: use 0..65535, 0xFFFF or -32768..-1")
    })
}

fn parse_bit(text: &str) -> Result<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" => Ok(true),
        "0" | "false" | "off" => Ok(false),
        _ => bail!("{text:?} is not a coil value: use true/false, on/off or 1/0"),
    }
}

fn client_config(connect: &ConnectArgs) -> Result<ClientConfig> {
    let timeout = parse_interval(&connect.timeout).context("--timeout")?;
    if timeout.is_zero() {
        bail!("--timeout must be above zero");
    }
    Ok(ClientConfig {
        timeout,
        ..ClientConfig::default()
    })
}

/// Runs an edge command; the exit status is 1 when anything could not be read or written.
pub async fn run(command: &EdgeCommand, json: bool) -> Result<ExitCode> {
    match command {
        EdgeCommand::Read(args) => read(args, json).await,
        EdgeCommand::Write(args) => write(args, json).await,
        EdgeCommand::Simulate(args) => simulate(args, json).await,
        EdgeCommand::Query(args) => super::edge_series::query(args, json),
        EdgeCommand::Series(command) => super::edge_series::series(command, json),
        EdgeCommand::Run(args) => super::edge_gateway::run(args, json).await,
    }
}

/// What one round of a read shows.
enum Round {
    Range(
        AddrRange,
        Result<Vec<serde_json::Value>, bifrost_edge::EdgeError>,
    ),
    Tags(Vec<(Tag, TagReading)>),
}

async fn read(args: &ReadArgs, json: bool) -> Result<ExitCode> {
    let pool = Pool::new(client_config(&args.connect)?);
    let interval = args
        .watch
        .as_deref()
        .map(parse_interval)
        .transpose()
        .context("--watch")?;
    if interval.is_some_and(|i| i.is_zero()) {
        bail!("--watch must be above zero, e.g. --watch 1s");
    }
    // Work out what to read once; each round only sends requests.
    enum Plan {
        Range(Device, AddrRange),
        Tags(Vec<(Device, Vec<Tag>)>),
    }
    let plan = match (&args.tags, &args.device, &args.addr) {
        (Some(_), _, Some(addr)) => bail!("give either an address ({addr}) or --tags, not both"),
        (Some(file), device, None) => {
            let file = TagFile::load(file)?;
            let mut tags: Vec<Tag> = file.tags.clone();
            if !args.names.is_empty() {
                for n in &args.names {
                    file.tag(n)?;
                }
                tags.retain(|t| args.names.contains(&t.name));
            }
            let mut groups: Vec<(String, Vec<Tag>)> = Vec::new();
            for tag in tags {
                let at = file.device_of(&tag, device.as_deref())?;
                match groups.iter_mut().find(|(d, _)| *d == at) {
                    Some((_, g)) => g.push(tag),
                    None => groups.push((at, vec![tag])),
                }
            }
            let groups = groups
                .into_iter()
                .map(|(d, tags)| Ok((pool.device(&d)?, tags)))
                .collect::<Result<Vec<_>>>()?;
            Plan::Tags(groups)
        }
        (None, Some(device), Some(addr)) => Plan::Range(pool.device(device)?, parse_addr(addr)?),
        (None, Some(_), None) => {
            bail!("what to read? give an address (e.g. hr:0..10) or --tags FILE")
        }
        (None, None, _) => bail!(
            "give a DEVICE and an address, e.g. `bifrost edge read 127.0.0.1:5020 hr:0..10`, or --tags FILE"
        ),
    };
    let mut round = 0u64;
    let mut failed = false;
    loop {
        round += 1;
        let result = match &plan {
            Plan::Range(device, r) => {
                let values = if r.table.is_bits() {
                    device
                        .read_bits(r.table, r.start, r.count)
                        .await
                        .map(|b| b.into_iter().map(|x| json!(x)).collect())
                } else {
                    device
                        .read_registers(r.table, r.start, r.count)
                        .await
                        .map(|w| w.into_iter().map(|x| json!(x)).collect())
                };
                Round::Range(*r, values)
            }
            Plan::Tags(groups) => {
                // Devices are read at the same time, each with its own planned requests.
                let reads: Vec<_> = groups
                    .iter()
                    .map(|(d, tags)| {
                        let (d, tags) = (d.clone(), tags.clone());
                        tokio::spawn(async move { d.read_tags(&tags).await })
                    })
                    .collect();
                let mut all = Vec::new();
                for ((_, tags), read) in groups.iter().zip(reads) {
                    all.extend(tags.iter().cloned().zip(read.await?));
                }
                Round::Tags(all)
            }
        };
        failed |= render(&result, json, interval.is_some())?;
        let Some(every) = interval else { break };
        if args.times.is_some_and(|n| round >= n) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn now() -> String {
    chrono::Local::now().format("%H:%M:%S%.3f").to_string()
}

/// Prints one round; returns whether anything failed.
fn render(round: &Round, json: bool, watching: bool) -> Result<bool> {
    match round {
        Round::Range(r, Err(e)) => {
            if json {
                let value = json!({"table": r.table, "address": r.start, "count": r.count, "error": e.to_string(),
                    "exception_code": e.exception_code().map(|c| c.0)});
                println!("{}", json_compact(&value));
            }
            if !watching {
                bail!("{e}");
            }
            // Watching goes on: say it on stderr and keep the status for the end.
            eprintln!("error: {e}");
            Ok(true)
        }
        Round::Range(r, Ok(values)) => {
            if json {
                let mut value = json!({"table": r.table, "address": r.start, "count": r.count, "values": values});
                if watching {
                    value["time"] = json!(now());
                }
                println!("{}", json_compact(&value));
            } else {
                if watching {
                    println!("-- {}", now());
                }
                for (i, v) in values.iter().enumerate() {
                    let address = r.start as usize + i;
                    match v.as_u64() {
                        Some(w) => println!("{} {address:>5}  {w:>5}  0x{w:04X}", r.table),
                        None => println!("{} {address:>5}  {v}", r.table),
                    }
                }
            }
            Ok(false)
        }
        Round::Tags(readings) => {
            let mut failed = false;
            if json {
                let rows: Vec<serde_json::Value> = readings
                    .iter()
                    .map(|(tag, r)| match &r.result {
                        Ok((value, raw)) => json!({"name": tag.name, "value": value, "unit": tag.unit, "raw": raw}),
                        Err(e) => {
                            failed = true;
                            json!({"name": tag.name, "error": e.to_string(), "exception_code": e.exception_code().map(|c| c.0)})
                        }
                    })
                    .collect();
                let value = if watching {
                    json!({"time": now(), "tags": rows})
                } else {
                    json!(rows)
                };
                println!("{}", json_compact(&value));
            } else {
                if watching {
                    println!("-- {}", now());
                }
                // Widths count the escaped names, which are what is printed.
                let width = readings
                    .iter()
                    .map(|(t, _)| esc(&t.name).chars().count())
                    .max()
                    .unwrap_or(0);
                for (tag, r) in readings {
                    match &r.result {
                        Ok((value, raw)) => {
                            let unit = tag
                                .unit
                                .as_deref()
                                .map(|u| format!(" {}", esc(u)))
                                .unwrap_or_default();
                            let shown = match value {
                                Value::Float(x) => format!("{x}"),
                                other => other.to_string(),
                            };
                            println!(
                                "{:<width$}  {}{unit}  raw {}",
                                esc(&tag.name),
                                esc(&shown),
                                json_compact(raw)
                            );
                        }
                        Err(e) => {
                            failed = true;
                            println!("{:<width$}  error: {e}", esc(&tag.name));
                        }
                    }
                }
            }
            Ok(failed)
        }
    }
}

async fn write(args: &WriteArgs, json: bool) -> Result<ExitCode> {
    let pool = Pool::new(client_config(&args.connect)?);
    if let Some(path) = &args.tags {
        let file = TagFile::load(path)?;
        let is_assignment = |a: &str| a.contains('=') && !a.contains("://");
        let (device, pairs) = match args.args.split_first() {
            Some((first, rest)) if !is_assignment(first) => (Some(first.as_str()), rest),
            _ => (None, &args.args[..]),
        };
        if pairs.is_empty() {
            bail!("nothing to write: give NAME=VALUE pairs, e.g. boiler.pressure=2.5");
        }
        let mut rows = Vec::new();
        for pair in pairs {
            let Some((name, text)) = pair.split_once('=') else {
                bail!("{pair:?}: write NAME=VALUE, e.g. boiler.pressure=2.5");
            };
            let tag = file.tag(name.trim())?;
            let value = tag.parse_value(text)?;
            let plc = pool.device(&file.device_of(tag, device)?)?;
            let raw = plc.write_tag(tag, &value).await?;
            rows.push(json!({"name": tag.name, "value": value, "raw": raw}));
            if !json {
                println!(
                    "{} = {}  raw {}",
                    esc(&tag.name),
                    esc(&value.to_string()),
                    json_compact(&raw)
                );
            }
        }
        if json {
            println!("{}", json_compact(&rows));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let [device, addr, values @ ..] = &args.args[..] else {
        bail!("give DEVICE ADDR VALUE…, e.g. `bifrost edge write 127.0.0.1:5020 hr:10 1234`");
    };
    if values.is_empty() {
        bail!("no values to write after {addr}: e.g. `bifrost edge write {device} {addr} 1234`");
    }
    let at = parse_addr(addr)?;
    if at.count != 1 {
        bail!("{addr}: give the start address only; the number of values sets the count");
    }
    let plc = pool.device(device)?;
    match at.table {
        Table::Holding => {
            let words = values
                .iter()
                .map(|v| parse_register(v))
                .collect::<Result<Vec<u16>>>()?;
            if words.len() == 1 {
                plc.write_register(at.start, words[0]).await?;
            } else {
                plc.write_registers(at.start, &words).await?;
            }
        }
        Table::Coil => {
            let bits = values
                .iter()
                .map(|v| parse_bit(v))
                .collect::<Result<Vec<bool>>>()?;
            if bits.len() == 1 {
                plc.write_coil(at.start, bits[0]).await?;
            } else {
                plc.write_coils(at.start, &bits).await?;
            }
        }
        other => {
            bail!("{other} tables are read-only; write holding registers (hr:) or coils (co:)")
        }
    }
    if json {
        println!(
            "{}",
            json!({"table": at.table, "address": at.start, "written": values.len()})
        );
    } else {
        println!(
            "wrote {} {} value(s) at {}",
            values.len(),
            at.table,
            at.start
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn simulate(args: &SimulateArgs, json: bool) -> Result<ExitCode> {
    let file = args.tags.as_ref().map(TagFile::load).transpose()?;
    let mut simulator_file = file.clone().unwrap_or_default();
    if let Some(l) = &args.latency {
        simulator_file.simulator.latency_ms =
            parse_interval(l).context("--latency")?.as_millis() as u64;
    }
    let simulator = Arc::new(Simulator::from_tag_file(&simulator_file)?);
    let handle = simulator.bind(&args.listen).await?;
    let tags = file.as_ref().map_or(0, |f| f.tags.len());
    if json {
        println!(
            "{}",
            json!({"listen": handle.address().to_string(), "tags": tags,
            "latency_ms": simulator_file.simulator.latency_ms, "faults": simulator_file.simulator.faults.len()})
        );
    } else {
        println!(
            "simulating a Modbus TCP device on {} ({tags} tags, latency {} ms, {} fault rules); Ctrl-C stops",
            handle.address(),
            simulator_file.simulator.latency_ms,
            simulator_file.simulator.faults.len()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    let stats = handle.simulator().stats();
    let (requests, connections) = (
        stats.requests.load(std::sync::atomic::Ordering::Relaxed),
        stats.connections.load(std::sync::atomic::Ordering::Relaxed),
    );
    handle.stop().await;
    if !json {
        eprintln!("served {requests} requests on {connections} connections");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("100").unwrap(),
            AddrRange {
                table: Table::Holding,
                start: 100,
                count: 1
            }
        );
        assert_eq!(
            parse_addr("ir:0..1000").unwrap(),
            AddrRange {
                table: Table::Input,
                start: 0,
                count: 1000
            }
        );
        assert_eq!(
            parse_addr("co:0x10..0x20").unwrap(),
            AddrRange {
                table: Table::Coil,
                start: 16,
                count: 16
            }
        );
        assert_eq!(parse_addr("di:65535").unwrap().count, 1);
        assert_eq!(parse_addr("0..65536").unwrap().count, 65536);
        for bad in ["", "x:1", "5..5", "9..3", "65536", "0..65537", "hr:abc"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
        assert!(
            parse_addr("q:1")
                .unwrap_err()
                .to_string()
                .contains("use coil (co)")
        );
    }

    #[test]
    fn values_and_intervals() {
        assert_eq!(parse_register("0xBEEF").unwrap(), 0xBEEF);
        assert_eq!(parse_register("-1").unwrap(), 0xFFFF);
        assert!(parse_register("65536").is_err());
        assert!(parse_bit("maybe").is_err());
        assert_eq!(parse_interval("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_interval("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_interval("1m").unwrap(), Duration::from_secs(60));
        assert!(parse_interval("1h").is_err());
        assert_eq!(parse_interval("1440m").unwrap(), MAX_INTERVAL);
        for long in [
            "1441m",
            "86400.5",
            "99999999999999999999999999999m",
            "1e400",
        ] {
            assert!(parse_interval(long).is_err(), "{long}");
        }
        assert!(parse_interval("fast").is_err());
    }
}
